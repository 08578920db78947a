import { assertNever, type EndEvent, type StopReason, type StreamEvent } from "../../shared/contract/index.js";
import { streamErrorToOpenAi, type OpenAiErrorAnswer } from "./openai-error.js";

/** OpenAI's reasons for the end of a choice that rbee can give. */
export type FinishReason = "stop" | "length";

export type Usage = {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
};

/** The fields every object of one completion shares. */
export type CompletionMeta = {
  /** `chatcmpl-<job_id>`: the job id is what `DELETE /v1/inference/{job_id}` cancels. */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
};

export type ChatCompletionChunk = {
  readonly id: string;
  readonly object: "chat.completion.chunk";
  readonly created: number;
  readonly model: string;
  readonly choices: readonly {
    readonly index: 0;
    readonly delta: { readonly role?: "assistant"; readonly content?: string };
    readonly logprobs: null;
    readonly finish_reason: FinishReason | null;
  }[];
  /** Present (null but in the last chunk) only when the client asked for `stream_options.include_usage`. */
  readonly usage?: Usage | null;
};

export type ChatCompletion = {
  readonly id: string;
  readonly object: "chat.completion";
  readonly created: number;
  readonly model: string;
  readonly choices: readonly [
    {
      readonly index: 0;
      readonly message: { readonly role: "assistant"; readonly content: string; readonly refusal: null };
      readonly logprobs: null;
      readonly finish_reason: FinishReason;
    },
  ];
  readonly usage: Usage;
};

/** What one rbee stream event becomes in an OpenAI stream. */
export type ChatStreamOutput =
  | { readonly kind: "chunk"; readonly chunk: ChatCompletionChunk }
  /** An SSE comment: cold-start progress, which OpenAI clients skip but a person debugging sees. */
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "error"; readonly error: OpenAiErrorAnswer };

/** `max_tokens` is `length`; the model's end of turn, a stop string and a cancel are `stop`. */
export function finishReason(reason: StopReason): FinishReason {
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

/** Token counts of a finished job (prompt tokens are 0 when a worker did not report them). */
export function usageOf(end: EndEvent): Usage {
  const prompt = end.tokens_in ?? 0;
  return { prompt_tokens: prompt, completion_tokens: end.tokens_out, total_tokens: prompt + end.tokens_out };
}

/** The completion id for a job. */
export function completionId(jobId: string): string {
  return `chatcmpl-${jobId}`;
}

function chunk(
  meta: CompletionMeta,
  delta: ChatCompletionChunk["choices"][number]["delta"],
  finish: FinishReason | null,
  includeUsage: boolean,
): ChatCompletionChunk {
  return {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

/**
 * Translates one job's rbee stream (progress, started, token, end, error) into OpenAI chat
 * completion chunks: the assistant role when the job starts, one content delta per token that has
 * text, the finish reason at the end, then the usage when asked for. `now` gives unix seconds.
 */
export class ChatStreamTranslator {
  private meta: CompletionMeta | undefined;

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** True once the job started on a worker. */
  get started(): boolean {
    return this.meta !== undefined;
  }

  push(event: StreamEvent): ChatStreamOutput[] {
    switch (event.type) {
      case "progress":
        return [{ kind: "comment", text: `${event.stage}: ${event.message}` }];
      case "started":
        this.meta = { id: completionId(event.job_id), created: this.now(), model: this.model };
        return [{ kind: "chunk", chunk: chunk(this.meta, { role: "assistant", content: "" }, null, this.includeUsage) }];
      case "token":
        if (event.t === "" || !this.meta) return [];
        return [{ kind: "chunk", chunk: chunk(this.meta, { content: event.t }, null, this.includeUsage) }];
      case "end": {
        const meta = this.requireMeta();
        const outputs: ChatStreamOutput[] = [
          { kind: "chunk", chunk: chunk(meta, {}, finishReason(event.stop_reason), this.includeUsage) },
        ];
        if (this.includeUsage) {
          outputs.push({
            kind: "chunk",
            chunk: { id: meta.id, object: "chat.completion.chunk", created: meta.created, model: meta.model, choices: [], usage: usageOf(event) },
          });
        }
        return outputs;
      }
      case "error":
        return [{ kind: "error", error: streamErrorToOpenAi(event) }];
      default:
        return assertNever(event);
    }
  }

  // An `end` without `started` does not happen in a well-formed stream; it still gets an id.
  private requireMeta(): CompletionMeta {
    this.meta ??= { id: completionId(`job-${this.now()}`), created: this.now(), model: this.model };
    return this.meta;
  }
}

/** The outcome of a whole job for a non-streaming request: a chat.completion, or an error. */
export type ChatCompletionOutcome =
  | { readonly kind: "completion"; readonly completion: ChatCompletion }
  | { readonly kind: "error"; readonly error: OpenAiErrorAnswer };

/**
 * Collects one job's rbee stream into a chat.completion object (text, finish reason, usage), or
 * the first error. A stream that ends without `end` or `error` is a lost worker.
 */
export class ChatCompletionCollector {
  private meta: CompletionMeta | undefined;
  private text = "";
  private outcome: ChatCompletionOutcome | undefined;

  constructor(
    private readonly model: string,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  push(event: StreamEvent): void {
    if (this.outcome) return;
    switch (event.type) {
      case "progress":
        return;
      case "started":
        this.meta = { id: completionId(event.job_id), created: this.now(), model: this.model };
        return;
      case "token":
        this.text += event.t;
        return;
      case "end": {
        const meta = this.meta ?? { id: completionId(`job-${this.now()}`), created: this.now(), model: this.model };
        this.outcome = {
          kind: "completion",
          completion: {
            id: meta.id,
            object: "chat.completion",
            created: meta.created,
            model: meta.model,
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: this.text, refusal: null },
                logprobs: null,
                finish_reason: finishReason(event.stop_reason),
              },
            ],
            usage: usageOf(event),
          },
        };
        return;
      }
      case "error":
        this.outcome = { kind: "error", error: streamErrorToOpenAi(event) };
        return;
      default:
        assertNever(event);
    }
  }

  result(): ChatCompletionOutcome {
    return (
      this.outcome ?? {
        kind: "error",
        error: streamErrorToOpenAi({ code: "WORKER_FAILED", message: "The answer ended before the worker finished it" }),
      }
    );
  }
}
