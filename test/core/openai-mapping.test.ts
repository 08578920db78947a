import { describe, expect, it } from "vitest";
import { RbeeError, type RegisteredWorker, type StreamEvent } from "../../src/shared/contract/index.js";
import type { ModelAlias } from "../../src/shared/contract/model-catalog.js";
import { parseChatCompletionRequest, toInferenceRequest, workerSeed } from "../../src/core/openai/chat-request.js";
import { ChatCompletionCollector, ChatStreamTranslator, finishReason } from "../../src/core/openai/chat-response.js";
import { assertKnownModel, listModels } from "../../src/core/openai/models.js";
import { openAiParam, toOpenAiError } from "../../src/core/openai/openai-error.js";

const user = (content: unknown) => ({ role: "user", content });

function mapped(body: Record<string, unknown>) {
  return toInferenceRequest(parseChatCompletionRequest({ model: "tinyllama", messages: [user("hi")], ...body }));
}

function refusal(run: () => unknown): RbeeError {
  try {
    run();
  } catch (error) {
    if (error instanceof RbeeError) return error;
    throw error;
  }
  throw new Error("expected an RbeeError");
}

describe("chat request → /v1/inference request", () => {
  it("maps model, messages and sampling; the queen's defaults fill the rest", () => {
    expect(mapped({})).toEqual({ model: "tinyllama", messages: [{ role: "user", content: "hi" }], max_tokens: 256, temperature: 0.7 });
    expect(mapped({ max_tokens: 12, temperature: 0, top_p: 0.9, seed: 42, stop: "\n\n" })).toMatchObject({
      max_tokens: 12,
      temperature: 0,
      top_p: 0.9,
      seed: 42,
      stop: ["\n\n"],
    });
  });

  it("prefers max_completion_tokens over the older max_tokens", () => {
    expect(mapped({ max_tokens: 5, max_completion_tokens: 9 }).max_tokens).toBe(9);
  });

  it("ignores nulls and fields rbee does not use, rather than refusing them", () => {
    const request = mapped({
      user: null,
      temperature: null,
      max_tokens: null,
      stop: null,
      seed: null,
      n: 1,
      frequency_penalty: 0.5,
      logit_bias: { 50256: -100 },
      response_format: { type: "text" },
      stream_options: null,
    });
    expect(request).toEqual({ model: "tinyllama", messages: [{ role: "user", content: "hi" }], max_tokens: 256, temperature: 0.7 });
  });

  it("takes `user` as the conversation's session, cut to the session's 128 characters", () => {
    expect(mapped({ user: "someone" })).toMatchObject({ session: "someone" });
    expect(mapped({ user: "u".repeat(300) }).session).toBe("u".repeat(128));
    expect(mapped({ user: "" })).not.toHaveProperty("session");
  });

  it("maps roles (developer is system), joins text parts and drops empty stop strings", () => {
    const request = mapped({
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "one" }, { type: "text", text: "two" }], name: "vince" },
        { role: "assistant", content: null },
        { role: "assistant", content: "ok", refusal: null },
        user("three"),
      ],
      stop: ["", "END"],
    });
    expect(request.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "one\ntwo" },
      { role: "assistant", content: "" },
      { role: "assistant", content: "ok" },
      { role: "user", content: "three" },
    ]);
    expect(request.stop).toEqual(["END"]);
  });

  it("maps any integer seed to the worker's 32-bit range, the same one every time", () => {
    expect(workerSeed(7)).toBe(7);
    expect(workerSeed(-1)).toBe(2 ** 32 - 1);
    expect(workerSeed(2 ** 40 + 5)).toBe(5);
    expect(mapped({ seed: -1 }).seed).toBe(2 ** 32 - 1);
  });

  it("refuses what it cannot honour, naming the field as OpenAI does", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ messages: [] }, "messages"],
      [{ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c" }] }] }, "messages[0].tool_calls[0].function"],
      [{ tool_choice: "required" }, "tool_choice"],
      [{ tools: [{ type: "function", function: { name: "f" } }], tool_choice: { type: "function", function: { name: "g" } } }, "tool_choice.function.name"],
      [{ tools: [{ type: "function", function: { name: "has space" } }] }, "tools[0].function.name"],
      [{ tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { a: { type: "string", pattern: "x" } } } } }], tool_choice: "required" }, "tools[0].function.parameters"],
      [{ response_format: { type: "json_schema", json_schema: { name: "n", schema: { type: "number", minimum: 1 } } } }, "response_format.json_schema.schema"],
      [{ response_format: { type: "xml" } }, "response_format.type"],
      [{ messages: [user([{ type: "image_url", image_url: { url: "data:," } }])] }, "messages[0].content[0]"],
      [{ messages: [{ role: "critic", content: "x" }] }, "messages[0].role"],
      [{ n: 2 }, "n"],
      [{ temperature: 3 }, "temperature"],
      [{ top_p: 0 }, "top_p"],
      [{ max_completion_tokens: 100_000 }, "max_completion_tokens"],
      [{ max_tokens: 0 }, "max_tokens"],
      [{ model: "" }, "model"],
      [{ model: "has space" }, "model"],
    ];
    for (const [body, param] of cases) {
      const error = refusal(() => mapped(body));
      expect(error.code, JSON.stringify(body)).toBe("INVALID_REQUEST");
      const answer = toOpenAiError(error);
      expect(answer.status).toBe(400);
      expect(answer.body.error, JSON.stringify(body)).toMatchObject({ type: "invalid_request_error", param, code: "invalid_request" });
    }
    expect(toOpenAiError(refusal(() => parseChatCompletionRequest("not json"))).body.error.param).toBeNull();
  });
});

describe("rbee errors → OpenAI errors", () => {
  it("keeps the HTTP status and gives OpenAI's type and code", () => {
    expect(toOpenAiError(new RbeeError("UNAUTHORIZED", "Invalid token"))).toEqual({
      status: 401,
      body: { error: { message: "Invalid token", type: "invalid_request_error", param: null, code: "invalid_api_key" } },
    });
    expect(toOpenAiError(new RbeeError("MODEL_NOT_FOUND", "Unknown model 'gpt-4o'"))).toMatchObject({
      status: 404,
      body: { error: { type: "invalid_request_error", param: "model", code: "model_not_found" } },
    });
    expect(toOpenAiError(new RbeeError("NO_CAPACITY", "No nodes registered: add one first"))).toMatchObject({
      status: 503,
      body: { error: { message: "No nodes registered: add one first", type: "server_error", param: null, code: "no_capacity" } },
    });
    expect(toOpenAiError(new RbeeError("WORKER_FAILED", "Lost it")).body.error).toMatchObject({ type: "server_error", code: "worker_failed" });
    expect(toOpenAiError(new RbeeError("PAYLOAD_TOO_LARGE", "big")).status).toBe(413);
  });

  it("writes contract field paths in OpenAI's notation", () => {
    expect(openAiParam("messages.3.content.0")).toBe("messages[3].content[0]");
    expect(openAiParam("stop")).toBe("stop");
  });
});

const started: StreamEvent = { type: "started", job_id: "job-abc", worker_id: "w1", node_name: "mac", model_ref: "tinyllama" };
const end = (stop_reason: "max_tokens" | "eos" | "stop" | "cancelled"): StreamEvent => ({
  type: "end",
  tokens_in: 7,
  tokens_cached: 4,
  tokens_out: 3,
  decode_ms: 10,
  ttft_ms: 2,
  stop_reason,
});
const tokens: StreamEvent[] = [
  { type: "token", t: "Hel", i: 0 },
  { type: "token", t: "", i: 1 },
  { type: "token", t: "lo", i: 2 },
];

describe("rbee stream → OpenAI chunks", () => {
  it("sends the role first, one delta per token with text, the finish reason, no usage unless asked", () => {
    const translator = new ChatStreamTranslator("tinyllama", false, () => 1_700_000_000);
    const outputs = [
      { type: "progress", stage: "spawn", message: "Starting worker\nnow" } as const,
      started,
      ...tokens,
      end("max_tokens"),
    ].flatMap((event) => translator.push(event));
    expect(outputs[0]).toEqual({ kind: "comment", text: "spawn: Starting worker\nnow" });
    const chunks = outputs.slice(1).map((output) => (output.kind === "chunk" ? output.chunk : undefined));
    expect(chunks).toEqual([
      {
        id: "chatcmpl-job-abc",
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: "tinyllama",
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
      },
      expect.objectContaining({ choices: [expect.objectContaining({ delta: { content: "Hel" } })] }),
      expect.objectContaining({ choices: [expect.objectContaining({ delta: { content: "lo" } })] }),
      expect.objectContaining({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "length" }] }),
    ]);
    expect(chunks.every((chunk) => chunk !== undefined && !("usage" in chunk))).toBe(true);
  });

  it("with include_usage: usage null on every chunk, then a last chunk with no choices and the usage", () => {
    const translator = new ChatStreamTranslator("m", true, () => 1);
    const chunks = [started, ...tokens, end("eos")].flatMap((event) => translator.push(event)).map((output) => (output as { chunk: object }).chunk);
    expect(chunks.slice(0, -1).every((chunk) => (chunk as { usage: unknown }).usage === null)).toBe(true);
    expect(chunks.at(-2)).toMatchObject({ choices: [{ finish_reason: "stop" }] });
    expect(chunks.at(-1)).toEqual({
      id: "chatcmpl-job-abc",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, prompt_tokens_details: { cached_tokens: 4 } },
    });
  });

  it("turns an error event into OpenAI's error body with the code's status", () => {
    const translator = new ChatStreamTranslator("m", false);
    expect(translator.push({ type: "error", code: "NO_CAPACITY", message: "No node is reachable or ready" })).toEqual([
      {
        kind: "error",
        error: { status: 503, body: { error: { message: "No node is reachable or ready", type: "server_error", param: null, code: "no_capacity" } } },
      },
    ]);
    expect(translator.started).toBe(false);
  });

  it("maps stop reasons: max_tokens is length, the rest stop", () => {
    expect(finishReason("max_tokens")).toBe("length");
    expect(finishReason("eos")).toBe("stop");
    expect(finishReason("stop")).toBe("stop");
    expect(finishReason("cancelled")).toBe("stop");
  });
});

describe("rbee stream → chat.completion", () => {
  it("collects the text, finish reason and usage", () => {
    const collector = new ChatCompletionCollector("tinyllama", () => 5);
    for (const event of [started, ...tokens, end("stop")]) collector.push(event);
    expect(collector.result()).toEqual({
      kind: "completion",
      completion: {
        id: "chatcmpl-job-abc",
        object: "chat.completion",
        created: 5,
        model: "tinyllama",
        choices: [{ index: 0, message: { role: "assistant", content: "Hello", refusal: null }, logprobs: null, finish_reason: "stop" }],
        usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, prompt_tokens_details: { cached_tokens: 4 } },
      },
    });
  });

  it("answers the first error, and a stream cut short as a worker failure", () => {
    const failed = new ChatCompletionCollector("m");
    failed.push(started);
    failed.push({ type: "error", code: "WORKER_FAILED", message: "Lost worker w1" });
    failed.push(end("eos"));
    expect(failed.result()).toMatchObject({ kind: "error", error: { status: 502, body: { error: { message: "Lost worker w1" } } } });
    const cut = new ChatCompletionCollector("m");
    cut.push(started);
    expect(cut.result()).toMatchObject({ kind: "error", error: { status: 502, body: { error: { code: "worker_failed" } } } });
  });
});

const worker = (id: string, model_ref: string, node_name: string): RegisteredWorker => ({
  id,
  url: "http://127.0.0.1:1",
  model_ref,
  backend: "cpu",
  device: 0,
  state: "idle",
  slots_total: 1,
  slots_available: 1,
  vram_bytes: null,
  node_name,
  last_heartbeat_unix: 0,
});
const aliases: ModelAlias[] = [
  { alias: "tinyllama", model_ref: "hf:a/b/tiny.gguf", description: "Tiny" },
  { alias: "qwen", model_ref: "hf:c/d/qwen.gguf", description: "Qwen" },
];

describe("GET /v1/models", () => {
  it("lists the live workers' models first, then the catalog aliases, each id once", () => {
    const list = listModels(aliases, [worker("w1", "file:/m/x.gguf", "b"), worker("w2", "file:/m/x.gguf", "a"), worker("w3", "qwen", "a")]);
    expect(list.object).toBe("list");
    expect(list.data.map((model) => model.id)).toEqual(["file:/m/x.gguf", "qwen", "tinyllama"]);
    expect(list.data[0]).toEqual({ id: "file:/m/x.gguf", object: "model", created: 0, owned_by: "rbee", rbee: { workers: 2, nodes: ["a", "b"] } });
    expect(list.data[1]).toMatchObject({ rbee: { model_ref: "hf:c/d/qwen.gguf", workers: 1, nodes: ["a"] } });
    expect(list.data[2]).toMatchObject({ rbee: { model_ref: "hf:a/b/tiny.gguf", description: "Tiny", workers: 0, nodes: [] } });
  });

  it("lists just the catalog when nothing runs", () => {
    expect(listModels(aliases, []).data.map((model) => model.id)).toEqual(["tinyllama", "qwen"]);
  });
});

describe("the model of a chat request", () => {
  it("may be a live worker's model, a catalog alias or a model_ref; anything else is model_not_found", () => {
    expect(() => assertKnownModel("custom-name", [worker("w", "custom-name", "a")])).not.toThrow();
    expect(() => assertKnownModel("tinyllama", [])).not.toThrow();
    expect(() => assertKnownModel("hf:org/repo/file.gguf", [])).not.toThrow();
    expect(() => assertKnownModel("file:/abs/model.gguf", [])).not.toThrow();
    for (const model of ["gpt-4o-mini", "hf:org/only-two", "ftp:x.gguf"]) {
      const error = refusal(() => assertKnownModel(model, []));
      expect(error.code, model).toBe("MODEL_NOT_FOUND");
      expect(error.message).toContain(model);
      expect(toOpenAiError(error).body.error).toMatchObject({ param: "model", code: "model_not_found" });
    }
  });
});
