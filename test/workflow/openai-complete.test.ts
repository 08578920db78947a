// The rest of the OpenAI API with the official `openai` client against a real queen, a real sshd, a
// real installed node and a real worker on a generated random model: text completions, embeddings,
// usage, JSON answers held to a schema by a grammar, and forced tool calls.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { EndEvent, InferenceRequest } from "../../src/shared/contract/index.js";
import { addInstalledNode, postJson } from "../helpers/installed-node.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readStreamEvents } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "../helpers/tiny-gguf.js";

const EMBEDDING_SIZE = 64;
const CONTEXT = 2048;

let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let model: string;
let client: OpenAI;

const conversation: OpenAI.ChatCompletionMessageParam[] = [
  { role: "system", content: "You are a tiny test model." },
  { role: "user", content: "Describe an order." },
];

/** Required properties, a nested object, an enum and an array. */
const ORDER_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 12 },
    size: { type: "string", enum: ["small", "medium", "large"] },
    count: { type: "integer" },
    address: { type: "object", properties: { city: { type: "string", maxLength: 10 } }, required: ["city"], additionalProperties: false },
    tags: { type: "array", items: { type: "string", maxLength: 6 }, maxItems: 3 },
  },
  required: ["name", "size", "address", "tags"],
  additionalProperties: false,
} as const;

const WEATHER_PARAMETERS = {
  type: "object",
  properties: { city: { type: "string", maxLength: 10 }, unit: { type: "string", enum: ["c", "f"] }, days: { type: "integer" } },
  required: ["city", "unit"],
  additionalProperties: false,
} as const;
const TIME_PARAMETERS = {
  type: "object",
  properties: { zone: { type: "string", enum: ["utc", "local"] }, precise: { type: "boolean" } },
  required: ["zone"],
  additionalProperties: false,
} as const;
const tools: OpenAI.ChatCompletionTool[] = [
  { type: "function", function: { name: "get_weather", description: "The weather in a city", parameters: WEATHER_PARAMETERS } },
  { type: "function", function: { name: "get_time", description: "The time", parameters: TIME_PARAMETERS } },
];
const parametersOf: Record<string, object> = { get_weather: WEATHER_PARAMETERS, get_time: TIME_PARAMETERS };
const ajv = new Ajv({ strict: true });

/** Runs a request on `/v1/inference` and answers its `end` event. */
async function inferenceEnd(request: InferenceRequest): Promise<EndEvent> {
  const { events } = await readStreamEvents(await postJson(queen, "/v1/inference", request));
  const end = events.at(-1);
  if (end?.type !== "end") throw new Error(`no end event: ${JSON.stringify(events.slice(-2))}`);
  return end;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-openai-complete-"));
  const path = join(dir, "tiny-chat.gguf");
  // Random weights writing printable text (see test/worker/grammar-embeddings.test.ts for why).
  await writeTinyGguf(path, { seed: 13, text: "printable", chatTemplate: CHATML_TEMPLATE, contextLength: CONTEXT });
  model = `file:${path}`;
  sshd = await startSshd();
  queen = await startQueen({ env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1" } });
  client = new OpenAI({ apiKey: queen.token, baseURL: `${queen.baseUrl}/v1`, maxRetries: 0, timeout: 120_000 });
  await addInstalledNode(queen, sshd, "gpu1", join(dir, "node"));
}, 240_000);

afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("text completions", () => {
  test("not streaming (cold start): a text_completion with usage; streaming: the same text for the same seed", async () => {
    const request = { model, prompt: "Once upon a time", max_tokens: 10, temperature: 1, seed: 5 };
    const completion = await client.completions.create(request);
    expect(completion).toMatchObject({ object: "text_completion", model, id: expect.stringMatching(/^cmpl-job-/) });
    const [choice] = completion.choices;
    expect(choice).toMatchObject({ index: 0, finish_reason: "length", logprobs: null });
    expect(choice?.text.length).toBeGreaterThan(0);
    expect(completion.usage).toMatchObject({ completion_tokens: 10 });
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(5);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + 10);

    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of await client.completions.create({ ...request, prompt: [request.prompt], stream: true })) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.object === "text_completion" && chunk.id.startsWith("cmpl-job-"))).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]?.text ?? "").join("")).toBe(choice?.text);
    expect(chunks.filter((chunk) => chunk.choices[0]?.text).length).toBeGreaterThan(1);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("length");
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0]?.finish_reason === null)).toBe(true);
  }, 120_000);

  test("stop and seed are honoured: the same seed's text, cut before the stop string, finish_reason stop", async () => {
    const request = { model, prompt: "A story:", max_tokens: 16, temperature: 1, top_p: 0.9, seed: 21 };
    const full = (await client.completions.create(request)).choices[0]?.text ?? "";
    const stop = full.slice(6, 8);
    expect(stop).toHaveLength(2);
    const stopped = await client.completions.create({ ...request, stop: [stop] });
    expect(stopped.choices[0]).toMatchObject({ text: full.slice(0, full.indexOf(stop)), finish_reason: "stop" });
    const other = (await client.completions.create({ ...request, seed: 22 })).choices[0]?.text;
    expect(other).not.toBe(full);
  }, 60_000);

  test("refuses what it does not do, in OpenAI's error shape", async () => {
    await expect(client.completions.create({ model, prompt: "x", echo: true })).rejects.toMatchObject({ status: 400, param: "echo" });
    await expect(client.completions.create({ model, prompt: ["one", "two"] })).rejects.toMatchObject({
      status: 400,
      param: "prompt",
      message: expect.stringContaining("one prompt per request"),
    });
    await expect(client.completions.create({ model, prompt: [1, 2, 3] })).rejects.toMatchObject({ status: 400, param: "prompt" });
    await expect(client.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "x" })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});

describe("usage", () => {
  test("include_usage: the last chunk's counts are those of the `end` event of the same request on /v1/inference", async () => {
    const prompt = "The usage of this prompt";
    const sampling = { max_tokens: 8, temperature: 1, seed: 9 };
    // The first run leaves the prompt in the slot, so that every run after it finds the same cache.
    await client.completions.create({ model, prompt, ...sampling });
    const end = await inferenceEnd({ model, prompt, ...sampling });
    expect(end.tokens_cached).toBeGreaterThan(0);
    let usage: OpenAI.CompletionUsage | undefined;
    let last: OpenAI.Completion | undefined;
    for await (const chunk of await client.completions.create({ model, prompt, ...sampling, stream: true, stream_options: { include_usage: true } })) {
      last = chunk;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(last?.choices).toEqual([]);
    expect(usage).toEqual({
      prompt_tokens: end.tokens_in,
      completion_tokens: end.tokens_out,
      total_tokens: (end.tokens_in ?? 0) + end.tokens_out,
      prompt_tokens_details: { cached_tokens: end.tokens_cached },
    });

    await client.chat.completions.create({ model, messages: conversation, ...sampling });
    const chatEnd = await inferenceEnd({ model, messages: conversation as InferenceRequest["messages"], ...sampling });
    let chatUsage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of await client.chat.completions.create({ model, messages: conversation, ...sampling, stream: true, stream_options: { include_usage: true } })) {
      if (chunk.usage) chatUsage = chunk.usage;
    }
    expect(chatUsage).toMatchObject({ prompt_tokens: chatEnd.tokens_in, completion_tokens: chatEnd.tokens_out, prompt_tokens_details: { cached_tokens: chatEnd.tokens_cached } });
    const whole = await client.chat.completions.create({ model, messages: conversation, ...sampling });
    expect(whole.usage).toEqual(chatUsage);
  }, 60_000);
});

describe("embeddings", () => {
  test("a string and a list: one vector of the model's size per input, in order; the same text gives the same vector", async () => {
    const one = await client.embeddings.create({ model, input: "red apple" });
    expect(one).toMatchObject({ object: "list", model, data: [{ object: "embedding", index: 0 }] });
    expect(one.data[0]?.embedding).toHaveLength(EMBEDDING_SIZE);
    expect(one.usage.prompt_tokens).toBeGreaterThan(2);

    const many = await client.embeddings.create({ model, input: ["green pear", "red apple", "a third, longer text"], encoding_format: "float" });
    expect(many.data.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(many.data.every((item) => item.embedding.length === EMBEDDING_SIZE)).toBe(true);
    // The SDK asks for base64 unless told float: both forms give the same numbers.
    const close = (a: readonly number[], b: readonly number[]) => a.every((value, i) => Math.abs(value - b[i]!) <= 1e-6 * Math.max(1, Math.abs(value)));
    expect(close(many.data[1]!.embedding, one.data[0]!.embedding)).toBe(true);
    expect(close(many.data[0]!.embedding, many.data[1]!.embedding)).toBe(false);
    expect(close(many.data[2]!.embedding, many.data[1]!.embedding)).toBe(false);
    const again = await client.embeddings.create({ model, input: "green pear", encoding_format: "float" });
    expect(again.data[0]?.embedding).toEqual(many.data[0]?.embedding);
    expect(many.usage.prompt_tokens).toBeGreaterThan(one.usage.prompt_tokens);

    await expect(client.embeddings.create({ model, input: "x", dimensions: 8 })).rejects.toMatchObject({ status: 400, param: "dimensions" });
    await expect(client.embeddings.create({ model, input: [] })).rejects.toMatchObject({ status: 400, param: "input" });
  }, 60_000);
});

describe("JSON answers", () => {
  test("json_schema: every seed's answer parses and validates against the schema (ajv)", async () => {
    const validate = ajv.compile(ORDER_SCHEMA);
    for (const seed of [1, 2, 3]) {
      const completion = await client.chat.completions.create({
        model, messages: conversation, seed, temperature: 1, max_tokens: 1_500,
        response_format: { type: "json_schema", json_schema: { name: "order", schema: ORDER_SCHEMA, strict: true } },
      });
      const [choice] = completion.choices;
      expect(choice?.finish_reason, choice?.message.content ?? "").toBe("stop");
      const value: unknown = JSON.parse(choice?.message.content ?? "");
      expect(validate(value), `${choice?.message.content}\n${JSON.stringify(validate.errors)}`).toBe(true);
    }
  }, 120_000);

  test("json_object: parseable JSON, streamed too", async () => {
    const request = { model, messages: conversation, seed: 4, temperature: 1, max_tokens: 1_500, response_format: { type: "json_object" } } as const;
    const completion = await client.chat.completions.create(request);
    expect(completion.choices[0]?.finish_reason, completion.choices[0]?.message.content ?? "").toBe("stop");
    const value: unknown = JSON.parse(completion.choices[0]?.message.content ?? "");
    expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
    let streamed = "";
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe(completion.choices[0]?.message.content);
  }, 120_000);

  test("a schema the grammar cannot enforce is refused, naming it", async () => {
    await expect(
      client.chat.completions.create({
        model, messages: conversation,
        response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { n: { type: "number", minimum: 3 } } } } },
      }),
    ).rejects.toMatchObject({ status: 400, param: "response_format.json_schema.schema", message: expect.stringContaining("minimum") });
  });
});

describe("tool calls", () => {
  test("a named function: tool_calls whose arguments validate against its parameters; streamed the same", async () => {
    const validate = ajv.compile(WEATHER_PARAMETERS);
    const request = { model, messages: conversation, tools, tool_choice: { type: "function", function: { name: "get_weather" } }, seed: 2, temperature: 1, max_tokens: 1_000 } as const;
    const completion = await client.chat.completions.create(request);
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    const [call] = choice?.message.tool_calls ?? [];
    expect(call).toMatchObject({ type: "function", id: expect.stringMatching(/^call_job-/), function: { name: "get_weather" } });
    const args: unknown = JSON.parse(call?.type === "function" ? call.function.arguments : "");
    expect(validate(args), JSON.stringify(validate.errors)).toBe(true);

    let name = "";
    let streamedArgs = "";
    let finish: string | null | undefined;
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        expect(delta.index).toBe(0);
        name += delta.function?.name ?? "";
        streamedArgs += delta.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect({ name, streamedArgs, finish }).toEqual({ name: "get_weather", streamedArgs: call?.type === "function" ? call.function.arguments : "", finish: "tool_calls" });
  }, 120_000);

  test('"required" with several tools: one call of one of them, its arguments valid for that one; streamed the same', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const request = { model, messages: conversation, tools, tool_choice: "required", seed, temperature: 1, max_tokens: 1_000 } as const;
      const completion = await client.chat.completions.create(request);
      const [choice] = completion.choices;
      expect(choice?.finish_reason).toBe("tool_calls");
      const call = choice?.message.tool_calls?.[0];
      if (call?.type !== "function") throw new Error(`no function call: ${JSON.stringify(choice)}`);
      expect(Object.keys(parametersOf)).toContain(call.function.name);
      const validate = ajv.compile(parametersOf[call.function.name]!);
      expect(validate(JSON.parse(call.function.arguments)), `${call.function.arguments} ${JSON.stringify(validate.errors)}`).toBe(true);

      let name = "";
      let args = "";
      for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
        for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
          name += delta.function?.name ?? "";
          args += delta.function?.arguments ?? "";
        }
      }
      expect({ name, args }).toEqual({ name: call.function.name, args: call.function.arguments });
    }
  }, 180_000);

  test("a later turn with the call and its result is accepted; tool_choice auto answers in text", async () => {
    const completion = await client.chat.completions.create({
      model, max_tokens: 6, tools, tool_choice: "auto",
      messages: [
        ...conversation,
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_time", arguments: '{"zone":"utc"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "12:00" },
      ],
    });
    expect(completion.choices[0]?.message.tool_calls ?? []).toEqual([]);
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.choices[0]?.finish_reason).toBe("length");
    await expect(client.chat.completions.create({ model, messages: conversation, tools, tool_choice: { type: "function", function: { name: "nope" } } })).rejects.toMatchObject({
      status: 400,
      param: "tool_choice.function.name",
    });
  }, 60_000);
});

describe("models", () => {
  test("a live model carries its context length and the nodes that hold it", async () => {
    const models = (await client.models.list()).data as (OpenAI.Model & { context_length?: number; rbee?: { nodes: string[] } })[];
    expect(models[0]).toMatchObject({ id: model, context_length: CONTEXT, rbee: { nodes: ["gpu1"], workers: 1 } });
  });
});
