import { describe, expect, it } from "vitest";
import { Grammar, grammarSchemaProblems, InferenceRequest, RbeeError, toGrammarDialect, type RegisteredWorker, type StreamEvent } from "../../src/shared/contract/index.js";
import { parseChatCompletionRequest, toChatJob, toChatMessages } from "../../src/core/openai/chat-request.js";
import { ChatCompletionCollector, ChatStreamTranslator } from "../../src/core/openai/chat-response.js";
import { parseCompletionRequest, toCompletionInference } from "../../src/core/openai/completion-request.js";
import { CompletionStreamTranslator, TextCompletionCollector } from "../../src/core/openai/completion-response.js";
import { base64Vector, inputsOf, parseEmbeddingsRequest, toEmbeddingList } from "../../src/core/openai/embeddings.js";
import { listModels } from "../../src/core/openai/models.js";
import { toOpenAiError } from "../../src/core/openai/openai-error.js";
import { ToolCallAssembler } from "../../src/core/openai/tool-call-text.js";

function refusal(run: () => unknown): { param: string | null; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof RbeeError) return toOpenAiError(error).body.error;
    throw error;
  }
  throw new Error("expected a refusal");
}

const started: StreamEvent = { type: "started", job_id: "job-1", worker_id: "w", node_name: "n", model_ref: "m" };
const end: StreamEvent = { type: "end", tokens_in: 9, tokens_cached: 5, tokens_out: 2, decode_ms: 1, ttft_ms: 1, stop_reason: "eos" };
const token = (t: string, i: number): StreamEvent => ({ type: "token", t, i });

describe("JSON schemas a grammar can enforce", () => {
  it("accepts what node-llama-cpp's grammar enforces, annotations included", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Order",
      type: "object",
      properties: {
        name: { type: "string", minLength: 1, maxLength: 10, description: "who" },
        kind: { enum: ["a", "b", 3, null] },
        when: { type: "string", format: "date" },
        tags: { type: "array", items: { type: ["string", "null"] }, maxItems: 2 },
        pair: { type: "array", prefixItems: [{ type: "integer" }, { const: "x" }] },
        either: { anyOf: [{ type: "number" }, { $ref: "#/$defs/point" }] },
      },
      required: ["name"],
      additionalProperties: false,
      $defs: { point: { type: "object", properties: { x: { type: "number" } } } },
    };
    expect(grammarSchemaProblems(schema)).toEqual([]);
    expect(Grammar.safeParse({ type: "json_schema", schema }).success).toBe(true);
  });

  it("names every keyword it would otherwise ignore, and what cannot be followed", () => {
    const problems = grammarSchemaProblems({
      type: "object",
      properties: { n: { type: "number", minimum: 0 }, s: { type: "string", pattern: "^a" }, o: { type: ["object", "null"] }, r: { $ref: "#/definitions/x" } },
      required: ["n", "missing"],
      allOf: [],
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      "/allOf",
      "/properties/n/minimum",
      "/properties/s/pattern",
      "/properties/o/type",
      "/properties/r/$ref",
      "/required",
    ]);
    expect(problems.find((problem) => problem.path === "/required")?.message).toContain('"missing"');
    expect(grammarSchemaProblems("text")).toEqual([{ path: "(schema)", message: "a subschema must be an object" }]);
    let deep: object = { type: "string" };
    for (let i = 0; i < 40; i++) deep = { type: "array", items: deep };
    expect(grammarSchemaProblems(deep)[0]?.message).toMatch(/deeper than 32/);
  });

  it("refuses an oversized schema in the contract itself (the worker's and /v1/inference's check)", () => {
    const big = { type: "object", properties: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`property_number_${i}`, { type: "string" }])) };
    const parsed = InferenceRequest.safeParse({ model: "hf:a/b/c.gguf", prompt: "x", grammar: { type: "json_schema", schema: big } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/at most 65536/);
  });

  it("rewrites anyOf into node-llama-cpp's oneOf, leaving data (enum, const, property names) alone", () => {
    expect(toGrammarDialect({ properties: { anyOf: { anyOf: [{ const: { anyOf: 1 } }] } }, enum: [{ anyOf: 2 }] })).toEqual({
      properties: { anyOf: { oneOf: [{ const: { anyOf: 1 } }] } },
      enum: [{ anyOf: 2 }],
    });
  });
});

describe("chat requests with response_format and tools", () => {
  const base = { model: "tinyllama", messages: [{ role: "user", content: "hi" }] };
  const weather = { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
  const time = { type: "function", function: { name: "get_time" } };

  it("json_object and json_schema become the inference's grammar, with a line telling the model", () => {
    const json = toChatJob(parseChatCompletionRequest({ ...base, response_format: { type: "json_object" } }));
    expect(json.inference.grammar).toEqual({ type: "json" });
    expect(json.inference.messages?.[0]).toEqual({ role: "system", content: "Answer with a JSON object." });
    const schema = { type: "object", properties: { a: { anyOf: [{ type: "string" }, { type: "null" }] } } };
    const typed = toChatJob(parseChatCompletionRequest({ ...base, messages: [{ role: "system", content: "Be brief." }, ...base.messages], response_format: { type: "json_schema", json_schema: { name: "x", schema } } }));
    expect(typed.inference.grammar).toEqual({ type: "json_schema", schema: { type: "object", properties: { a: { oneOf: [{ type: "string" }, { type: "null" }] } } } });
    expect(typed.inference.messages?.[0]?.content).toMatch(/^Be brief\.\n\nAnswer with JSON that matches this JSON schema: /);
    expect(toChatJob(parseChatCompletionRequest({ ...base, response_format: { type: "text" } })).inference).not.toHaveProperty("grammar");
  });

  it("a named function: its parameters are the grammar; required over several: a union of {name, arguments}", () => {
    const named = toChatJob(parseChatCompletionRequest({ ...base, tools: [weather, time], tool_choice: { type: "function", function: { name: "get_weather" } } }));
    expect(named.tools).toMatchObject({ kind: "function", name: "get_weather" });
    expect(named.inference.grammar).toEqual({ type: "json_schema", schema: weather.function.parameters });
    expect(named.inference.messages?.[0]?.content).toContain("Call the function get_weather (Weather)");
    const any = toChatJob(parseChatCompletionRequest({ ...base, tools: [weather, time], tool_choice: "required" }));
    expect(any.tools).toMatchObject({ kind: "any", names: ["get_weather", "get_time"] });
    expect(any.inference.grammar).toEqual({
      type: "json_schema",
      schema: {
        oneOf: [
          { type: "object", properties: { name: { const: "get_weather" }, arguments: weather.function.parameters } },
          { type: "object", properties: { name: { const: "get_time" }, arguments: { type: "object", properties: {} } } },
        ],
      },
    });
    // The response format gives way to the tool call; auto and none answer in text.
    const forced = toChatJob(parseChatCompletionRequest({ ...base, tools: [time], tool_choice: "required", response_format: { type: "json_object" } }));
    expect(forced.inference.grammar).toEqual({ type: "json_schema", schema: { type: "object", properties: { name: { const: "get_time" }, arguments: { type: "object", properties: {} } } } });
    for (const tool_choice of ["auto", "none", undefined]) {
      const plain = toChatJob(parseChatCompletionRequest({ ...base, tools: [weather], ...(tool_choice ? { tool_choice } : {}) }));
      expect(plain.tools).toEqual({ kind: "text" });
      expect(plain.inference).not.toHaveProperty("grammar");
    }
    expect(refusal(() => toChatJob(parseChatCompletionRequest({ ...base, tools: [time, time], tool_choice: "required" }))).param).toBe("tools[1].function.name");
  });

  it("tool calls and tool results of earlier turns become text the model reads back", () => {
    const request = parseChatCompletionRequest({
      ...base,
      messages: [
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_time", arguments: '{"zone":"utc"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "12:00" },
        { role: "function", name: "legacy", content: "ok" },
      ],
    });
    expect(toChatMessages(request.messages)).toEqual([
      { role: "assistant", content: '{"name": "get_time", "arguments": {"zone":"utc"}}' },
      { role: "user", content: "Tool result of call call_1:\n12:00" },
      { role: "user", content: "Tool result of legacy:\nok" },
    ]);
  });
});

describe("tool call text → OpenAI tool calls", () => {
  const pieces = (text: string, size: number): string[] => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

  it("a named function: the head at once, then every piece as arguments", () => {
    const assembler = new ToolCallAssembler({ kind: "function", name: "f" }, "call_1");
    expect(assembler.start()).toEqual([{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }]);
    expect(assembler.push('{"a":')).toEqual([{ index: 0, function: { arguments: '{"a":' } }]);
    assembler.push("1}");
    expect(assembler.finish()).toEqual([]);
    expect(assembler.call()).toEqual({ id: "call_1", name: "f", arguments: '{"a":1}' });
  });

  it("a choice among functions: the name from the wrapper's head, its closing brace left out, however the text is cut", () => {
    const text = '{ "name": "get_time", "arguments": { "zone": "utc", "n": { "x": [1] } } }';
    for (const size of [1, 2, 3, 7, 100]) {
      const assembler = new ToolCallAssembler({ kind: "any" }, "call_9");
      const deltas = [...pieces(text, size).flatMap((piece) => assembler.push(piece)), ...assembler.finish()];
      expect(deltas[0], `size ${size}`).toEqual({ index: 0, id: "call_9", type: "function", function: { name: "get_time", arguments: "" } });
      expect(deltas.slice(1).map((delta) => delta.function.arguments).join(""), `size ${size}`).toBe('{ "zone": "utc", "n": { "x": [1] } }');
      expect(assembler.call()?.arguments).toBe('{ "zone": "utc", "n": { "x": [1] } }');
    }
    const cut = new ToolCallAssembler({ kind: "any" }, "c");
    cut.push('{"name": "get_ti');
    expect(cut.call()).toBeUndefined();
  });

  it("streams as tool call deltas with finish reason tool_calls; collects the same call", () => {
    const form = { kind: "any" } as const;
    const translator = new ChatStreamTranslator("m", false, () => 1, form);
    const events = [started, token('{"name":"f","arguments":', 0), token('{"a":2}', 1), token("}", 2), end];
    const chunks = events.flatMap((event) => translator.push(event)).map((output) => (output.kind === "chunk" ? output.chunk : undefined));
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: null });
    expect(chunks.flatMap((chunk) => chunk?.choices[0]?.delta.tool_calls ?? []).map((delta) => delta.function.arguments).join("")).toBe('{"a":2}');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
    const collector = new ChatCompletionCollector("m", () => 1, form);
    for (const event of events) collector.push(event);
    const outcome = collector.result();
    expect(outcome.kind === "completion" && outcome.completion.choices[0].message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "call_job-1", type: "function", function: { name: "f", arguments: '{"a":2}' } }],
    });
    expect(outcome.kind === "completion" && outcome.completion.choices[0].finish_reason).toBe("tool_calls");
  });
});

describe("text completions", () => {
  it("maps the prompt (a string or a list of one) and sampling onto /v1/inference; no chat template", () => {
    const request = parseCompletionRequest({ model: "tinyllama", prompt: ["Once"], max_tokens: 5, temperature: 0, seed: -1, stop: "\n", echo: false, logprobs: null });
    expect(toCompletionInference(request)).toEqual({ model: "tinyllama", prompt: "Once", max_tokens: 5, temperature: 0, seed: 2 ** 32 - 1, stop: ["\n"] });
    expect(toCompletionInference(parseCompletionRequest({ model: "m", prompt: "x", response_format: { type: "json_object" } })).grammar).toEqual({ type: "json" });
  });

  it("refuses what it does not do, naming the field", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ prompt: ["a", "b"] }, "prompt"],
      [{ prompt: [[1, 2]] }, "prompt"],
      [{ prompt: "" }, "prompt"],
      [{ echo: true }, "echo"],
      [{ suffix: "end" }, "suffix"],
      [{ logprobs: 2 }, "logprobs"],
      [{ best_of: 2 }, "best_of"],
      [{ n: 3 }, "n"],
      [{ max_tokens: 40_000 }, "max_tokens"],
    ];
    for (const [body, param] of cases) {
      expect(refusal(() => toCompletionInference(parseCompletionRequest({ model: "m", prompt: "p", ...body }))).param, JSON.stringify(body)).toBe(param);
    }
  });

  it("streams one chunk per token with text, the finish reason, then the usage when asked", () => {
    const translator = new CompletionStreamTranslator("m", true, () => 3);
    const chunks = [started, token("Hel", 0), token("", 1), token("lo", 2), end].flatMap((event) => translator.push(event)).map((output) => (output.kind === "chunk" ? output.chunk : undefined));
    expect(chunks.map((chunk) => chunk?.choices[0]?.text)).toEqual(["Hel", "lo", "", undefined]);
    expect(chunks[2]?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks[3]).toEqual({
      id: "cmpl-job-1", object: "text_completion", created: 3, model: "m", choices: [],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 5 } },
    });
    expect(chunks.slice(0, 3).every((chunk) => chunk?.usage === null)).toBe(true);
    const collector = new TextCompletionCollector("m", () => 3);
    for (const event of [started, token("Hel", 0), token("lo", 1), end]) collector.push(event);
    expect(collector.result()).toEqual({
      kind: "completion",
      completion: {
        id: "cmpl-job-1", object: "text_completion", created: 3, model: "m",
        choices: [{ text: "Hello", index: 0, logprobs: null, finish_reason: "stop" }],
        usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 5 } },
      },
    });
  });
});

describe("embeddings", () => {
  const result = { embeddings: [[0.5, -1.25], [3, 0]], dimensions: 2, prompt_tokens: 6 };

  it("one embedding per input, in order, as floats or as OpenAI's base64 of float32", () => {
    const request = parseEmbeddingsRequest({ model: "m", input: ["a", "b"] });
    expect(inputsOf(request)).toEqual(["a", "b"]);
    expect(inputsOf(parseEmbeddingsRequest({ model: "m", input: "a" }))).toEqual(["a"]);
    expect(toEmbeddingList(request, result)).toEqual({
      object: "list",
      model: "m",
      data: [{ object: "embedding", index: 0, embedding: [0.5, -1.25] }, { object: "embedding", index: 1, embedding: [3, 0] }],
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    const encoded = toEmbeddingList(parseEmbeddingsRequest({ model: "m", input: ["a", "b"], encoding_format: "base64" }), result).data[0]?.embedding as string;
    expect([...new Float32Array(Uint8Array.from(Buffer.from(encoded, "base64")).buffer)]).toEqual([0.5, -1.25]);
    expect(base64Vector([])).toBe("");
  });

  it("refuses token ids, empty inputs, other dimensions and encodings", () => {
    expect(refusal(() => parseEmbeddingsRequest({ model: "m", input: [1, 2] })).message).toContain("token ids");
    expect(refusal(() => parseEmbeddingsRequest({ model: "m", input: "" })).param).toBe("input");
    expect(refusal(() => parseEmbeddingsRequest({ model: "m", input: ["a"], encoding_format: "int8" })).param).toBe("encoding_format");
    expect(refusal(() => toEmbeddingList(parseEmbeddingsRequest({ model: "m", input: "a", dimensions: 8 }), result)).param).toBe("dimensions");
  });
});

describe("models with context length and nodes", () => {
  const worker = (id: string, node_name: string, context_length?: number): RegisteredWorker => ({
    id, url: "http://127.0.0.1:1", model_ref: "hf:a/b/m.gguf", backend: "cpu", device: 0, state: "idle", slots_total: 1,
    slots_available: 1, vram_bytes: null, node_name, last_heartbeat_unix: 0, ...(context_length ? { context_length } : {}),
  });

  it("the smallest live context, and the nodes of live workers and of stored files", () => {
    const list = listModels(
      [{ alias: "tiny", model_ref: "hf:a/b/tiny.gguf", description: "Tiny" }],
      [worker("w1", "b", 4096), worker("w2", "a", 2048), worker("w3", "c")],
      [{ node_name: "d", model_ref: "hf:a/b/m.gguf" }, { node_name: "e", model_ref: "hf:a/b/tiny.gguf" }],
    );
    expect(list.data[0]).toMatchObject({ id: "hf:a/b/m.gguf", context_length: 2048, rbee: { workers: 3, nodes: ["a", "b", "c", "d"] } });
    expect(list.data[1]).toMatchObject({ id: "tiny", rbee: { workers: 0, nodes: ["e"] } });
    expect(list.data[1]).not.toHaveProperty("context_length");
  });

  it("a file a node holds that no worker serves and no alias names is listed after the live models, before the catalog", () => {
    const list = listModels(
      [{ alias: "tiny", model_ref: "hf:a/b/tiny.gguf", description: "Tiny" }],
      [worker("w1", "b")],
      [{ node_name: "d", model_ref: "hf:x/y/z.gguf" }, { node_name: "e", model_ref: "hf:x/y/z.gguf" }, { node_name: "e", model_ref: "hf:a/b/tiny.gguf" }],
    );
    expect(list.data.map((model) => model.id)).toEqual(["hf:a/b/m.gguf", "hf:x/y/z.gguf", "tiny"]);
    expect(list.data[1]).toMatchObject({ rbee: { workers: 0, nodes: ["d", "e"] } });
  });
});
