import { assertNever, type StreamEvent } from "../../shared/contract/index.js";
import { finishReason, usageOf, type CompletionMeta, type FinishReason, type Usage } from "./chat-response.js";
import { streamErrorToOpenAi, type OpenAiErrorAnswer } from "./openai-error.js";

type CompletionChoice = { readonly text: string; readonly index: 0; readonly logprobs: null; readonly finish_reason: FinishReason | null };

/** A `text_completion` object: the whole answer, or (streaming) one piece of it. */
export type TextCompletion = {
  readonly id: string;
  readonly object: "text_completion";
  readonly created: number;
  readonly model: string;
  readonly choices: readonly CompletionChoice[];
  /** Always in a whole answer; in a stream only with `include_usage` (null but in the last chunk). */
  readonly usage?: Usage | null;
};

/** What one rbee stream event becomes in a completions stream. */
export type CompletionStreamOutput =
  | { readonly kind: "chunk"; readonly chunk: TextCompletion }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "error"; readonly error: OpenAiErrorAnswer };

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The completion id for a job (`cmpl-<job_id>`). */
export function textCompletionId(jobId: string): string {
  return `cmpl-${jobId}`;
}

function metaOf(jobId: string, model: string, now: () => number): CompletionMeta {
  return { id: textCompletionId(jobId), created: now(), model };
}

function piece(meta: CompletionMeta, text: string, finish: FinishReason | null, includeUsage: boolean): TextCompletion {
  return {
    ...meta,
    object: "text_completion",
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

/**
 * Translates one job's rbee stream into OpenAI's streamed text completions: one chunk per token
 * with text, a last one with the finish reason, then (with `include_usage`) a chunk with no
 * choices and the usage of the `end` event.
 */
export class CompletionStreamTranslator {
  private meta: CompletionMeta | undefined;

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
    private readonly now: () => number = nowSeconds,
  ) {}

  push(event: StreamEvent): CompletionStreamOutput[] {
    switch (event.type) {
      case "progress":
        return [{ kind: "comment", text: `${event.stage}: ${event.message}` }];
      case "started":
        this.meta = metaOf(event.job_id, this.model, this.now);
        return [];
      case "token":
        if (event.t === "" || !this.meta) return [];
        return [{ kind: "chunk", chunk: piece(this.meta, event.t, null, this.includeUsage) }];
      case "end": {
        this.meta ??= metaOf(`job-${this.now()}`, this.model, this.now);
        const outputs: CompletionStreamOutput[] = [{ kind: "chunk", chunk: piece(this.meta, "", finishReason(event.stop_reason), this.includeUsage) }];
        if (this.includeUsage) outputs.push({ kind: "chunk", chunk: { ...this.meta, object: "text_completion", choices: [], usage: usageOf(event) } });
        return outputs;
      }
      case "error":
        return [{ kind: "error", error: streamErrorToOpenAi(event) }];
      default:
        return assertNever(event);
    }
  }
}

/** A whole text completion, or the first error; a stream that ends without `end` is a lost worker. */
export type TextCompletionOutcome = { readonly kind: "completion"; readonly completion: TextCompletion } | { readonly kind: "error"; readonly error: OpenAiErrorAnswer };

/** Collects one job's rbee stream into a `text_completion` with usage. */
export class TextCompletionCollector {
  private meta: CompletionMeta | undefined;
  private text = "";
  private outcome: TextCompletionOutcome | undefined;

  constructor(
    private readonly model: string,
    private readonly now: () => number = nowSeconds,
  ) {}

  push(event: StreamEvent): void {
    if (this.outcome) return;
    switch (event.type) {
      case "progress":
        return;
      case "started":
        this.meta = metaOf(event.job_id, this.model, this.now);
        return;
      case "token":
        this.text += event.t;
        return;
      case "end": {
        const meta = this.meta ?? metaOf(`job-${this.now()}`, this.model, this.now);
        this.outcome = { kind: "completion", completion: { ...piece(meta, this.text, finishReason(event.stop_reason), false), usage: usageOf(event) } };
        return;
      }
      case "error":
        this.outcome = { kind: "error", error: streamErrorToOpenAi(event) };
        return;
      default:
        assertNever(event);
    }
  }

  result(): TextCompletionOutcome {
    return this.outcome ?? { kind: "error", error: streamErrorToOpenAi({ code: "WORKER_FAILED", message: "The answer ended before the worker finished it" }) };
  }
}
