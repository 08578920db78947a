import { performance } from "node:perf_hooks";
import { assertNever, type EndEvent, type StopReason, type StreamEvent } from "../../shared/contract/index.js";
import { streamErrorToOllama, type OllamaErrorAnswer } from "./ollama-error.js";

/** Which Ollama route: chat answers `message`, generate answers `response`. */
export type OllamaRoute = "chat" | "generate";

/** Ollama's reasons for the end of an answer that rbee can give. */
export type DoneReason = "stop" | "length";

/** The timings and counts of Ollama's last object, durations in nanoseconds. */
export type OllamaStats = {
  readonly done_reason: DoneReason;
  /** Request received → answer complete. */
  readonly total_duration: number;
  /** Request received → the job started on a worker (a cold start or a wait in line; 0-ish when warm). */
  readonly load_duration: number;
  /** Prompt tokens the model read (those from the slot's cache included). */
  readonly prompt_eval_count: number;
  /** The worker's time to its first token. */
  readonly prompt_eval_duration: number;
  readonly eval_count: number;
  /** The worker's time from its first token to its last. */
  readonly eval_duration: number;
};

/** One object of an Ollama answer: a part while `done` is false, the last (with stats) when true. */
export type OllamaChunk = {
  readonly model: string;
  readonly created_at: string;
  readonly message?: { readonly role: "assistant"; readonly content: string };
  readonly response?: string;
  readonly done: boolean;
} & Partial<OllamaStats>;

/** What one rbee stream event becomes in an Ollama answer. */
export type OllamaOutput = { readonly kind: "chunk"; readonly chunk: OllamaChunk } | { readonly kind: "error"; readonly error: OllamaErrorAnswer };

/** `max_tokens` is `length`; the model's end of turn, a stop string and a cancel are `stop`. */
export function doneReason(reason: StopReason): DoneReason {
  switch (reason) {
    case "max_tokens":
      return "length";
    case "eos":
    case "stop":
    case "cancelled":
      return "stop";
    default:
      return assertNever(reason);
  }
}

const ns = (ms: number): number => Math.max(0, Math.round(ms * 1_000_000));

/** A clock: `now()` in ms (monotonic) and the wall time as Ollama writes it. */
export interface OllamaClock {
  now(): number;
  iso(): string;
}

const SYSTEM_CLOCK: OllamaClock = { now: () => performance.now(), iso: () => new Date().toISOString() };

/**
 * Translates one job's rbee stream into Ollama's objects: one per token with text, then the last
 * with `done: true`, the reason and the timings; or the first error. Streaming sends each object as
 * it comes; a non-streaming answer is `collect`ed into one.
 */
export class OllamaTranslator {
  private readonly receivedAt: number;
  private startedAt: number | undefined;
  private text = "";
  private outcome: OllamaOutput | undefined;

  constructor(
    private readonly route: OllamaRoute,
    private readonly model: string,
    private readonly clock: OllamaClock = SYSTEM_CLOCK,
  ) {
    this.receivedAt = clock.now();
  }

  push(event: StreamEvent): OllamaOutput[] {
    if (this.outcome) return [];
    switch (event.type) {
      case "progress":
        return [];
      case "started":
        this.startedAt = this.clock.now();
        return [];
      case "token":
        if (event.t === "") return [];
        this.text += event.t;
        return [{ kind: "chunk", chunk: this.chunk(event.t, false) }];
      case "end":
        this.outcome = { kind: "chunk", chunk: { ...this.chunk("", true), ...this.stats(event) } };
        return [this.outcome];
      case "error":
        this.outcome = { kind: "error", error: streamErrorToOllama(event) };
        return [this.outcome];
      default:
        return assertNever(event);
    }
  }

  /** The whole answer as one object (for `stream: false`), or the error; a stream cut short is a lost worker. */
  collect(): OllamaOutput {
    if (!this.outcome) return { kind: "error", error: streamErrorToOllama({ code: "WORKER_FAILED", message: "The answer ended before the worker finished it" }) };
    if (this.outcome.kind === "error") return this.outcome;
    return { kind: "chunk", chunk: { ...this.outcome.chunk, ...this.content(this.text) } };
  }

  private content(text: string): Pick<OllamaChunk, "message" | "response"> {
    return this.route === "chat" ? { message: { role: "assistant", content: text } } : { response: text };
  }

  private chunk(text: string, done: boolean): OllamaChunk {
    return { model: this.model, created_at: this.clock.iso(), ...this.content(text), done };
  }

  private stats(end: EndEvent): OllamaStats {
    const now = this.clock.now();
    return {
      done_reason: doneReason(end.stop_reason),
      total_duration: ns(now - this.receivedAt),
      load_duration: ns((this.startedAt ?? now) - this.receivedAt),
      prompt_eval_count: end.tokens_in ?? 0,
      prompt_eval_duration: ns(end.ttft_ms),
      eval_count: end.tokens_out,
      eval_duration: ns(end.decode_ms - end.ttft_ms),
    };
  }
}
