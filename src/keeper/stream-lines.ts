import type { EndEvent, ProgressEvent } from "../shared/contract/index.js";
import { placeInLine } from "../shared/ordinal.js";
import { bytes } from "./format.js";

/** One progress event as a stderr line: `[download] tiny.gguf 42% (…)`, `[queue] 2nd in line (…)`. */
export function progressLine(event: ProgressEvent): string {
  if (event.stage === "queue" && event.position !== undefined) return `[queue] ${placeInLine(event.position)} (${event.message})`;
  const share =
    event.bytes !== undefined && event.bytes_total
      ? ` ${Math.floor((event.bytes / event.bytes_total) * 100)}% (${bytes(event.bytes)} of ${bytes(event.bytes_total)})`
      : "";
  return `[${event.stage}] ${event.message}${share}`;
}

/** The stats line after an answer: `[24 tokens, 310.2 tok/s, ttft 41 ms, 412 cached, eos]`. */
export function endLine(event: EndEvent): string {
  const cached = event.tokens_cached !== undefined && event.tokens_cached > 0 ? `, ${event.tokens_cached} cached` : "";
  return `[${event.tokens_out} tokens, ${tokensPerSecond(event)}, ttft ${Math.round(event.ttft_ms)} ms${cached}, ${event.stop_reason}]`;
}

function tokensPerSecond(event: EndEvent): string {
  if (event.decode_ms <= 0) return "— tok/s";
  return `${((event.tokens_out / event.decode_ms) * 1000).toFixed(1)} tok/s`;
}
