// llm-worker-rbee's grammar-constrained answers and embeddings, on a real worker process with a
// generated random model: whatever the weights, an answer under a JSON schema validates (ajv).
// The model writes printable text: llama.cpp's grammar reads an invalid UTF-8 byte sequence as one
// character where a JSON parser reads several, so a model that writes invalid UTF-8 could exceed a
// string's maxLength as ajv counts it (the JSON still parses).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody, WorkerEmbeddingsResponse, type StreamEvent } from "../../src/shared/contract/index.js";
import { spawnNodeScript, type RunningProcess } from "../helpers/process.js";
import { readStreamEvents, streamText } from "../helpers/sse.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

const BIN = resolve("dist/bin/llm-worker-rbee.js");
const TOKEN = `worker-test-${randomBytes(16).toString("hex")}`;
const LISTENING = /^llm-worker-rbee listening on (http:\/\/127\.0\.0\.1:\d+)$/;
const EMBEDDING_SIZE = 64;

/** Required properties, a nested object, an enum and an array: every kind the grammar enforces. */
export const ORDER_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 12 },
    size: { enum: ["small", "medium", "large"] },
    count: { type: "integer" },
    paid: { type: "boolean" },
    address: { type: "object", properties: { city: { type: "string", maxLength: 10 }, zip: { type: "string", maxLength: 5 } }, required: ["city"] },
    tags: { type: "array", items: { type: "string", maxLength: 6 }, maxItems: 3 },
  },
  required: ["name", "size", "address", "tags"],
  additionalProperties: false,
} as const;

let dir: string;
let worker: RunningProcess;
let url: string;

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function generate(body: Record<string, unknown>): Promise<{ text: string; end: Extract<StreamEvent, { type: "end" }> }> {
  const response = await post("/v1/inference", { prompt: "Write an order:", temperature: 1, ...body });
  expect(response.status, await response.clone().text()).toBe(200);
  const { events } = await readStreamEvents(response);
  const end = events.at(-1);
  if (end?.type !== "end") throw new Error(`no end event: ${JSON.stringify(events.slice(-2))}`);
  return { text: streamText(events), end };
}

async function embed(input: readonly string[]): Promise<WorkerEmbeddingsResponse> {
  const response = await post("/v1/embeddings", { input });
  expect(response.status).toBe(200);
  return WorkerEmbeddingsResponse.parse(await response.json());
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-grammar-"));
  const model = join(dir, "tiny.gguf");
  await writeTinyGguf(model, { seed: 13, text: "printable" });
  worker = spawnNodeScript(BIN, ["--worker-id", "w-grammar", "--model", model, "--model-ref", "tiny", "--port", "0", "--token", TOKEN, "--threads", "1"]);
  url = (await worker.waitForLine(LISTENING))[1] ?? "";
  for (;;) {
    const ready = await fetch(`${url}/v1/ready`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json());
    if (ready.ready) break;
    await new Promise((done) => setTimeout(done, 50));
  }
});

afterAll(async () => {
  await worker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("grammar-constrained answers", () => {
  it("a JSON schema grammar: every seed's answer validates against the schema, and ends by itself", async () => {
    const validate = new Ajv({ strict: true }).compile(ORDER_SCHEMA);
    for (const seed of [1, 2, 3, 4, 5]) {
      const { text, end } = await generate({ seed, max_tokens: 2_000, grammar: { type: "json_schema", schema: ORDER_SCHEMA } });
      expect(end.stop_reason, text).toBe("eos");
      const value: unknown = JSON.parse(text);
      expect(validate(value), `${text}\n${JSON.stringify(validate.errors)}`).toBe(true);
      expect(text).not.toMatch(/\n\n\n\n/);
    }
  }, 60_000);

  it("the same prompt without a grammar is not JSON (the grammar is what makes it so)", async () => {
    const { text } = await generate({ seed: 1, max_tokens: 40 });
    expect(() => JSON.parse(text)).toThrow();
  });

  it("the json grammar: a JSON object", async () => {
    const { text, end } = await generate({ seed: 2, max_tokens: 4_000, grammar: { type: "json" } });
    expect(end.stop_reason, text).toBe("eos");
    const value: unknown = JSON.parse(text);
    expect(typeof value === "object" && value !== null && !Array.isArray(value), text).toBe(true);
  }, 60_000);

  it("an answer cut by max_tokens ends with max_tokens (and is not complete JSON)", async () => {
    const { text, end } = await generate({ seed: 1, max_tokens: 5, grammar: { type: "json_schema", schema: ORDER_SCHEMA } });
    expect(end).toMatchObject({ stop_reason: "max_tokens", tokens_out: 5 });
    expect(() => JSON.parse(text)).toThrow();
  });

  it("refuses a schema the grammar cannot enforce, naming the keyword", async () => {
    const response = await post("/v1/inference", { prompt: "x", grammar: { type: "json_schema", schema: { type: "string", pattern: "^a+$" } } });
    expect(response.status).toBe(400);
    const { error } = ErrorBody.parse(await response.json());
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.details?.[0]?.field).toBe("grammar.schema");
    expect(error.message).toContain("pattern");
  });

  it("a schema that passes the contract but that node-llama-cpp cannot build (a reference to itself) is INVALID_REQUEST too; the worker goes on", async () => {
    const loop = { $defs: { loop: { $ref: "#/$defs/loop" } }, $ref: "#/$defs/loop" };
    const response = await post("/v1/inference", { prompt: "x", grammar: { type: "json_schema", schema: loop } });
    expect(response.status).toBe(400);
    const { error } = ErrorBody.parse(await response.json());
    expect(error).toMatchObject({ code: "INVALID_REQUEST", message: expect.stringContaining("No grammar can be made") });
    expect(error.details?.[0]?.field).toBe("grammar.schema");
    const { end } = await generate({ seed: 1, max_tokens: 3 });
    expect(end.stop_reason).toBe("max_tokens");
  });
});

describe("embeddings", () => {
  it("one vector of the model's size per input, in order; the same text gives the same vector", async () => {
    const inputs = ["red apple", "a different text", "third", "red apple"];
    const batch = await embed(inputs);
    expect(batch.dimensions).toBe(EMBEDDING_SIZE);
    expect(batch.embeddings).toHaveLength(4);
    expect(batch.embeddings.every((vector) => vector.length === EMBEDDING_SIZE)).toBe(true);
    expect(batch.embeddings[3]).toEqual(batch.embeddings[0]);
    expect(batch.embeddings[1]).not.toEqual(batch.embeddings[0]);
    expect(batch.embeddings[2]).not.toEqual(batch.embeddings[1]);
    for (const [index, input] of inputs.entries()) expect((await embed([input])).embeddings[0], input).toEqual(batch.embeddings[index]);
    expect(batch.prompt_tokens).toBeGreaterThan(10);
  });

  it("refuses an empty list and a body outside the contract", async () => {
    for (const body of [{ input: [] }, { input: "text" }, { input: ["a"], extra: 1 }]) {
      const response = await post("/v1/embeddings", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(ErrorBody.parse(await response.json()).error.code).toBe("INVALID_REQUEST");
    }
  });
});
