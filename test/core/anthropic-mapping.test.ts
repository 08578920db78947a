import { describe, expect, it } from "vitest";
import { RbeeError, type StreamEvent } from "../../src/shared/contract/index.js";
import { toAnthropicError } from "../../src/core/anthropic/anthropic-error.js";
import { parseMessagesRequest, toInferenceRequest } from "../../src/core/anthropic/messages-request.js";
import { MessageCollector, MessagesStreamTranslator, anthropicUsage } from "../../src/core/anthropic/messages-response.js";

const base = { model: "tinyllama", max_tokens: 16, messages: [{ role: "user", content: "hi" }] };
const mapped = (body: Record<string, unknown>) => toInferenceRequest(parseMessagesRequest({ ...base, ...body }));

function refusal(run: () => unknown): RbeeError {
  try {
    run();
  } catch (error) {
    if (error instanceof RbeeError) return error;
    throw error;
  }
  throw new Error("expected an RbeeError");
}

const started: StreamEvent = { type: "started", job_id: "job-1", worker_id: "w", node_name: "n", model_ref: "m" };
const end: StreamEvent = { type: "end", tokens_in: 30, tokens_cached: 12, tokens_out: 3, decode_ms: 9, ttft_ms: 2, stop_reason: "stop", stop_sequence: "\n\n" };

describe("messages request → /v1/inference request", () => {
  it("maps the system prompt, text blocks, sampling and metadata.user_id; Anthropic's default temperature 1", () => {
    expect(mapped({})).toEqual({ model: "tinyllama", messages: [{ role: "user", content: "hi" }], max_tokens: 16, temperature: 1 });
    const request = mapped({
      system: [{ type: "text", text: "Be brief." }, { type: "text", text: "Be kind." }],
      messages: [
        { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
        { role: "assistant", content: "c" },
        { role: "user", content: "d" },
      ],
      temperature: 0,
      top_p: 0.5,
      top_k: 40,
      stop_sequences: ["\n\n", ""],
      metadata: { user_id: "u-1" },
    });
    expect(request).toMatchObject({
      messages: [
        { role: "system", content: "Be brief.\nBe kind." },
        { role: "user", content: "a\nb" },
        { role: "assistant", content: "c" },
        { role: "user", content: "d" },
      ],
      temperature: 0,
      top_p: 0.5,
      stop: ["\n\n"],
      session: "u-1",
    });
    expect(mapped({ system: "S" }).messages?.[0]).toEqual({ role: "system", content: "S" });
  });

  it("refuses what Anthropic requires or rbee cannot do, naming the field", () => {
    expect(refusal(() => parseMessagesRequest({ model: "m", messages: base.messages })).details?.[0]?.field).toBe("max_tokens");
    expect(refusal(() => mapped({ temperature: 1.5 })).details?.[0]?.field).toBe("temperature");
    expect(refusal(() => mapped({ max_tokens: 40_000 })).details?.[0]?.field).toBe("max_tokens");
    expect(refusal(() => mapped({ stop_sequences: ["x".repeat(300)] })).details?.[0]?.field).toBe("stop_sequences.0");
    expect(refusal(() => mapped({ tools: [{ name: "f" }] })).details?.[0]?.field).toBe("tools");
    const image = refusal(() => mapped({ messages: [{ role: "user", content: [{ type: "image", source: {} }] }] }));
    expect(image.details?.[0]?.field).toBe("messages.0.content.0.type");
    expect(image.message).toContain('"image"');
  });
});

describe("rbee stream → Anthropic", () => {
  it("streams Anthropic's event sequence with the stop sequence and usage at the end", () => {
    const translator = new MessagesStreamTranslator("tinyllama");
    const outputs = [
      { type: "progress", stage: "loading", message: "Loading" } as const,
      started,
      { type: "token", t: "He", i: 0 } as const,
      { type: "token", t: "", i: 1 } as const,
      { type: "token", t: "y", i: 2 } as const,
      end,
    ].flatMap((event) => translator.push(event));
    expect(outputs[0]).toEqual({ kind: "comment", text: "loading: Loading" });
    const events = outputs.flatMap((output) => (output.kind === "event" ? [output.event] : []));
    expect(events.map((event) => event.event)).toEqual([
      "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
    ]);
    expect(events.every((event) => event.data.type === event.event)).toBe(true);
    expect(events[0]?.data.message).toMatchObject({ id: "msg_job-1", type: "message", role: "assistant", model: "tinyllama", content: [], stop_reason: null });
    expect(events[3]?.data).toEqual({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "He" } });
    expect(events[6]?.data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "stop_sequence", stop_sequence: "\n\n" },
      usage: { input_tokens: 18, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 12 },
    });
  });

  it("collects a whole message, and maps the end of turn and max_tokens", () => {
    const collector = new MessageCollector("m");
    for (const event of [started, { type: "token", t: "a", i: 0 } as const, { type: "token", t: "b", i: 1 } as const]) collector.push(event);
    collector.push({ ...end, stop_reason: "eos", stop_sequence: undefined } as StreamEvent);
    const outcome = collector.result();
    expect(outcome).toMatchObject({ kind: "message", message: { id: "msg_job-1", content: [{ type: "text", text: "ab" }], stop_reason: "end_turn", stop_sequence: null } });
    const cut = new MessageCollector("m");
    cut.push({ type: "end", tokens_out: 1, decode_ms: 1, ttft_ms: 1, stop_reason: "max_tokens" });
    expect(cut.result()).toMatchObject({ kind: "message", message: { stop_reason: "max_tokens", usage: { input_tokens: 0, cache_read_input_tokens: 0 } } });
    expect(anthropicUsage({ type: "end", tokens_in: 5, tokens_out: 2, decode_ms: 1, ttft_ms: 1, stop_reason: "eos" }).input_tokens).toBe(5);
  });

  it("answers errors in Anthropic's shape and status", () => {
    expect(toAnthropicError(new RbeeError("UNAUTHORIZED", "no"))).toEqual({ status: 401, body: { type: "error", error: { type: "authentication_error", message: "no" } } });
    expect(toAnthropicError(new RbeeError("MODEL_NOT_FOUND", "x")).body.error.type).toBe("not_found_error");
    expect(toAnthropicError(new RbeeError("NO_CAPACITY", "busy"))).toMatchObject({ status: 529, body: { error: { type: "overloaded_error" } } });
    expect(toAnthropicError(new RbeeError("WORKER_FAILED", "lost"))).toMatchObject({ status: 502, body: { error: { type: "api_error" } } });
    expect(toAnthropicError(new RbeeError("PAYLOAD_TOO_LARGE", "big"))).toMatchObject({ status: 413, body: { error: { type: "request_too_large" } } });
    const failed = new MessagesStreamTranslator("m").push({ type: "error", code: "NO_CAPACITY", message: "busy" });
    expect(failed).toEqual([{ kind: "error", error: { status: 529, body: { type: "error", error: { type: "overloaded_error", message: "busy" } } } }]);
  });
});
