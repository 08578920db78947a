import { assertNever, type EndEvent, type StopReason, type StreamEvent } from "../../shared/contract/index.js";
import { streamErrorToAnthropic, type AnthropicErrorAnswer } from "./anthropic-error.js";

/** Anthropic's reasons for the end of a message that rbee can give. */
export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence";

export type AnthropicUsage = {
  /** Prompt tokens evaluated for this request (those not read from the slot's cache). */
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_creation_input_tokens: number;
  /** Prompt tokens read from the slot's cache (the `end` event's `tokens_cached`). */
  readonly cache_read_input_tokens: number;
};

export type TextBlock = { readonly type: "text"; readonly text: string; readonly citations: null };

export type AnthropicMessage = {
  /** `msg_<job_id>`: the job id is what `DELETE /v1/inference/{job_id}` cancels. */
  readonly id: string;
  readonly type: "message";
  readonly role: "assistant";
  readonly model: string;
  readonly content: readonly TextBlock[];
  readonly stop_reason: AnthropicStopReason | null;
  readonly stop_sequence: string | null;
  readonly usage: AnthropicUsage;
};

/** One server-sent event of Anthropic's stream: its `event:` name and its `data:` object. */
export type AnthropicEvent = { readonly event: string; readonly data: Record<string, unknown> };

/** What one rbee stream event becomes in an Anthropic stream. */
export type MessagesStreamOutput =
  | { readonly kind: "event"; readonly event: AnthropicEvent }
  /** An SSE comment: cold-start progress, which Anthropic's clients skip but a person debugging sees. */
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "error"; readonly error: AnthropicErrorAnswer };

/** `max_tokens` is `max_tokens`; a stop string `stop_sequence`; the model's end of turn (and a cancel) `end_turn`. */
export function anthropicStopReason(reason: StopReason): AnthropicStopReason {
  switch (reason) {
    case "max_tokens":
      return "max_tokens";
    case "stop":
      return "stop_sequence";
    case "eos":
    case "cancelled":
      return "end_turn";
    default:
      return assertNever(reason);
  }
}

/** Anthropic's usage of a finished job: prompt tokens split into evaluated and read from the cache. */
export function anthropicUsage(end: EndEvent): AnthropicUsage {
  const cached = end.tokens_cached ?? 0;
  return {
    input_tokens: Math.max(0, (end.tokens_in ?? 0) - cached),
    output_tokens: end.tokens_out,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** The message id for a job. */
export function messageId(jobId: string): string {
  return `msg_${jobId}`;
}

/** A message before its first token: what `message_start` carries. */
function emptyMessage(id: string, model: string): AnthropicMessage {
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

const event = (name: string, data: Record<string, unknown>): MessagesStreamOutput => ({ kind: "event", event: { event: name, data: { type: name, ...data } } });

/**
 * Translates one job's rbee stream into Anthropic's message stream: `message_start`,
 * `content_block_start` and `ping` when the job starts, a `content_block_delta` (`text_delta`) per
 * token with text, then `content_block_stop`, `message_delta` (stop reason, usage) and
 * `message_stop` at the end.
 */
export class MessagesStreamTranslator {
  private id: string | undefined;

  constructor(private readonly model: string) {}

  push(input: StreamEvent): MessagesStreamOutput[] {
    switch (input.type) {
      case "progress":
        return [{ kind: "comment", text: `${input.stage}: ${input.message}` }];
      case "started":
        this.id = messageId(input.job_id);
        return this.opening(this.id);
      case "token":
        if (input.t === "" || this.id === undefined) return [];
        return [event("content_block_delta", { index: 0, delta: { type: "text_delta", text: input.t } })];
      case "end": {
        // An `end` without `started` does not happen in a well-formed stream; it still makes a whole message.
        const opening = this.id === undefined ? this.opening((this.id = messageId(`job-${Date.now()}`))) : [];
        return [
          ...opening,
          event("content_block_stop", { index: 0 }),
          event("message_delta", {
            delta: { stop_reason: anthropicStopReason(input.stop_reason), stop_sequence: input.stop_sequence ?? null },
            usage: anthropicUsage(input),
          }),
          event("message_stop", {}),
        ];
      }
      case "error":
        return [{ kind: "error", error: streamErrorToAnthropic(input) }];
      default:
        return assertNever(input);
    }
  }

  private opening(id: string): MessagesStreamOutput[] {
    return [
      event("message_start", { message: emptyMessage(id, this.model) }),
      event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      event("ping", {}),
    ];
  }
}

/** The outcome of a whole job for a non-streaming request: a message, or an error. */
export type MessageOutcome =
  | { readonly kind: "message"; readonly message: AnthropicMessage }
  | { readonly kind: "error"; readonly error: AnthropicErrorAnswer };

/** Collects one job's rbee stream into an Anthropic message, or the first error. */
export class MessageCollector {
  private id: string | undefined;
  private text = "";
  private outcome: MessageOutcome | undefined;

  constructor(private readonly model: string) {}

  push(input: StreamEvent): void {
    if (this.outcome) return;
    switch (input.type) {
      case "progress":
        return;
      case "started":
        this.id = messageId(input.job_id);
        return;
      case "token":
        this.text += input.t;
        return;
      case "end":
        this.outcome = {
          kind: "message",
          message: {
            ...emptyMessage(this.id ?? messageId(`job-${Date.now()}`), this.model),
            content: [{ type: "text", text: this.text, citations: null }],
            stop_reason: anthropicStopReason(input.stop_reason),
            stop_sequence: input.stop_sequence ?? null,
            usage: anthropicUsage(input),
          },
        };
        return;
      case "error":
        this.outcome = { kind: "error", error: streamErrorToAnthropic(input) };
        return;
      default:
        assertNever(input);
    }
  }

  result(): MessageOutcome {
    return this.outcome ?? { kind: "error", error: streamErrorToAnthropic({ code: "WORKER_FAILED", message: "The answer ended before the worker finished it" }) };
  }
}
