import { performance } from "node:perf_hooks";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { EndEvent, StopReason, TokenEvent } from "../shared/contract/index.js";
import { NO_END_OF_TURN, type EndOfTurn } from "./chat-template.js";
import { StopDetector } from "./stop-detector.js";
import { TokenTextDecoder, type TextDetokenizer } from "./token-text-decoder.js";

/** Sampling settings of one job, resolved (seed and temperature always set). */
export type Sampling = {
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP: number | undefined;
  readonly seed: number;
  readonly stop: readonly string[];
};

/** One completion of a prompt or of a rendered conversation, to run on one context sequence. */
export type GenerationJob = {
  readonly sequence: LlamaContextSequence;
  readonly detokenizer: TextDetokenizer;
  readonly promptTokens: readonly Token[];
  readonly sampling: Sampling;
  /** The chat template's end-of-turn triggers; none for a raw completion. */
  readonly endOfTurn?: EndOfTurn;
  readonly signal: AbortSignal;
  /** When the job was accepted (performance.now()): ttft and decode time count from here. */
  readonly startedAt: number;
};

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}

/**
 * Runs a completion of the prompt tokens and reports one token event per generated token, then
 * answers the `end` event. Stops on max_tokens, the model's end-of-generation token or the chat
 * template's end of turn (`eos`), a stop string (`stop`; neither is shown) or the abort signal
 * (`cancelled`). Text held back because it might begin a stop string or an end of turn, or ends
 * inside a character, is released with a later token: at the last token for max_tokens, or in one
 * extra token event when the model ends the generation itself.
 */
export async function runGeneration(job: GenerationJob, onToken: (event: TokenEvent) => void): Promise<EndEvent> {
  const { sequence, sampling, signal } = job;
  const endOfTurn = job.endOfTurn ?? NO_END_OF_TURN;
  const decoder = new TokenTextDecoder(job.detokenizer, job.promptTokens);
  const stops = new StopDetector([...sampling.stop, ...endOfTurn.texts]);
  const endsTurn = new Set(endOfTurn.texts);
  const marks = new Set(endOfTurn.marks.values());
  // A special token of an end-of-turn trigger enters the text as its mark; a mark that did not
  // complete a trigger is not shown.
  const piece = (token: Token): string => {
    const mark = endOfTurn.marks.get(token);
    return mark === undefined ? decoder.push(token) : decoder.flush() + mark;
  };
  const unmarked = (text: string): string => (marks.size === 0 ? text : [...text].filter((char) => !marks.has(char)).join(""));
  const stopReason = (): StopReason => (endsTurn.has(stops.matched ?? "") ? "eos" : "stop");
  let index = 0;
  let firstTokenAt: number | undefined;
  let reason: StopReason | undefined;

  const emit = (text: string): void => {
    firstTokenAt ??= elapsed(job.startedAt);
    onToken({ type: "token", t: unmarked(text), i: index });
    index += 1;
  };

  await sequence.clearHistory();
  if (signal.aborted) {
    reason = "cancelled";
  } else {
    const tokens = sequence.evaluate([...job.promptTokens], {
      temperature: sampling.temperature,
      seed: sampling.seed,
      ...(sampling.topP !== undefined ? { topP: sampling.topP } : {}),
    });
    for await (const token of tokens) {
      if (signal.aborted) {
        reason = "cancelled";
        break;
      }
      const last = index + 1 >= sampling.maxTokens;
      let text = stops.push(piece(token));
      if (last && !stops.stopped) {
        text += stops.push(decoder.flush());
        text += stops.flush();
      }
      emit(text);
      if (stops.stopped) {
        reason = stopReason();
        break;
      }
      if (last) {
        reason = "max_tokens";
        break;
      }
    }
    // The model ended the generation itself (or was cancelled while producing its last token).
    if (reason === undefined && signal.aborted) reason = "cancelled";
    if (reason === undefined) {
      let rest = stops.push(decoder.flush());
      if (stops.stopped) reason = stopReason();
      else rest += stops.flush();
      if (rest !== "") emit(rest);
    }
  }

  const decodeMs = elapsed(job.startedAt);
  return {
    type: "end",
    tokens_in: job.promptTokens.length,
    tokens_out: index,
    decode_ms: decodeMs,
    ttft_ms: firstTokenAt ?? decodeMs,
    stop_reason: reason ?? "eos",
  };
}
