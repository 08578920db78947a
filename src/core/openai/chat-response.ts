import { assertNever, type EndEvent, type StopReason, type StreamEvent } from "../../shared/contract/index.js";
import { streamErrorToOpenAi, type OpenAiErrorAnswer } from "./openai-error.js";
import { ToolCallAssembler, type ToolCallDelta, type ToolCallForm } from "./tool-call-text.js";

/** OpenAI's reasons for the end of a choice that rbee can give. */
export type FinishReason = "stop" | "length" | "tool_calls";

export type Usage = {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  /** Prompt tokens a worker's slot already held (the `end` event's `tokens_cached`). */
  readonly prompt_tokens_details: { readonly cached_tokens: number };
};

/** A tool call of a finished answer. */
export type ToolCall = { readonly id: string; readonly type: "function"; readonly function: { readonly name: string; readonly arguments: string } };

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
    readonly delta: { readonly role?: "assistant"; readonly content?: string | null; readonly tool_calls?: readonly ToolCallDelta[] };
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
      readonly message: { readonly role: "assistant"; readonly content: string | null; readonly refusal: null; readonly tool_calls?: readonly ToolCall[] };
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
  return {
    prompt_tokens: prompt,
    completion_tokens: end.tokens_out,
    total_tokens: prompt + end.tokens_out,
    prompt_tokens_details: { cached_tokens: end.tokens_cached ?? 0 },
  };
}

/** The finish reason of an answer that was to be a tool call: `tool_calls` when the call is complete. */
export function toolFinishReason(reason: StopReason, called: boolean): FinishReason {
  const plain = finishReason(reason);
  return plain === "stop" && called && reason !== "cancelled" ? "tool_calls" : plain;
}

/** The id of a job's tool call. */
export function toolCallId(jobId: string): string {
  return `call_${jobId}`;
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
  private calls: ToolCallAssembler | undefined;

  /** With `tools`, the answer is streamed as one tool call's deltas (see ToolCallAssembler). */
  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
    private readonly tools?: ToolCallForm,
  ) {}

  /** True once the job started on a worker. */
  get started(): boolean {
    return this.meta !== undefined;
  }

  push(event: StreamEvent): ChatStreamOutput[] {
    switch (event.type) {
      case "progress":
        return [{ kind: "comment", text: `${event.stage}: ${event.message}` }];
      case "started": {
        this.meta = { id: completionId(event.job_id), created: this.now(), model: this.model };
        if (!this.tools) return [{ kind: "chunk", chunk: chunk(this.meta, { role: "assistant", content: "" }, null, this.includeUsage) }];
        this.calls = new ToolCallAssembler(this.tools, toolCallId(event.job_id));
        return [
          { kind: "chunk", chunk: chunk(this.meta, { role: "assistant", content: null }, null, this.includeUsage) },
          ...this.callChunks(this.calls.start()),
        ];
      }
      case "token":
        if (event.t === "" || !this.meta) return [];
        if (this.calls) return this.callChunks(this.calls.push(event.t));
        return [{ kind: "chunk", chunk: chunk(this.meta, { content: event.t }, null, this.includeUsage) }];
      case "end": {
        const meta = this.requireMeta();
        const rest = this.calls ? this.callChunks(this.calls.finish()) : [];
        const reason = this.calls ? toolFinishReason(event.stop_reason, this.calls.call() !== undefined) : finishReason(event.stop_reason);
        const outputs: ChatStreamOutput[] = [...rest, { kind: "chunk", chunk: chunk(meta, {}, reason, this.includeUsage) }];
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

  private callChunks(deltas: readonly ToolCallDelta[]): ChatStreamOutput[] {
    const meta = this.requireMeta();
    return deltas.map((delta) => ({ kind: "chunk", chunk: chunk(meta, { tool_calls: [delta] }, null, this.includeUsage) }));
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

  /** With `tools`, the answer is read as one tool call: `tool_calls`, no content. */
  constructor(
    private readonly model: string,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
    private readonly tools?: ToolCallForm,
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
        const call = this.toolCall(meta.id);
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
                message: call
                  ? { role: "assistant", content: null, refusal: null, tool_calls: [call] }
                  : { role: "assistant", content: this.text, refusal: null },
                logprobs: null,
                finish_reason: this.tools ? toolFinishReason(event.stop_reason, call !== undefined) : finishReason(event.stop_reason),
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

  // The answer's text read as a tool call, as the stream would have sent it; undefined when it is not one.
  private toolCall(completion: string): ToolCall | undefined {
    if (!this.tools) return undefined;
    const assembler = new ToolCallAssembler(this.tools, toolCallId(completion.replace(/^chatcmpl-/, "")));
    assembler.push(this.text);
    assembler.finish();
    const call = assembler.call();
    return call ? { id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } } : undefined;
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
