import { describe, expect, it } from "vitest";
import { RbeeError, type RegisteredWorker, type StreamEvent } from "../../src/shared/contract/index.js";
import { MODEL_ALIASES } from "../../src/shared/contract/model-catalog.js";
import {
  chatToInference,
  generateToInference,
  ollamaModelName,
  parseChatRequest,
  parseGenerateRequest,
} from "../../src/core/ollama/ollama-request.js";
import { OllamaTranslator, type OllamaClock } from "../../src/core/ollama/ollama-response.js";
import { listTags, quantizationOf } from "../../src/core/ollama/ollama-tags.js";

const chat = (body: Record<string, unknown>) => chatToInference(parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }), "m");
const generate = (body: Record<string, unknown>) => generateToInference(parseGenerateRequest({ model: "m", prompt: "hi", ...body }), "m");

function refusal(run: () => unknown): RbeeError {
  try {
    run();
  } catch (error) {
    if (error instanceof RbeeError) return error;
    throw error;
  }
  throw new Error("expected an RbeeError");
}

const worker = (model_ref: string): RegisteredWorker => ({
  id: `w-${model_ref}`, url: "http://127.0.0.1:1", model_ref, backend: "cpu", device: 0, state: "idle", slots_total: 1, slots_available: 1,
  vram_bytes: 0, node_name: "n", last_heartbeat_unix: 0,
});

describe("Ollama requests → /v1/inference requests", () => {
  it("maps messages and options; Ollama's default temperature 0.8", () => {
    expect(chat({})).toEqual({ model: "m", messages: [{ role: "user", content: "hi" }], temperature: 0.8, max_tokens: 256 });
    expect(chat({ options: { temperature: 0, top_p: 0.9, seed: -1, num_predict: 7, stop: ["\n"], top_k: 40, num_ctx: 4096 } })).toMatchObject({
      temperature: 0, top_p: 0.9, seed: 2 ** 32 - 1, max_tokens: 7, stop: ["\n"],
    });
    expect(chat({ options: { num_predict: -1 } }).max_tokens).toBe(32_768);
  });

  it("renders generate's prompt as a user turn after its system prompt, or raw", () => {
    expect(generate({ system: "S" }).messages).toEqual([{ role: "system", content: "S" }, { role: "user", content: "hi" }]);
    expect(generate({ raw: true, system: "S" })).toMatchObject({ prompt: "hi" });
    expect(generate({ raw: true }).messages).toBeUndefined();
  });

  it("refuses what rbee cannot do, naming the field in Ollama's names", () => {
    expect(refusal(() => chat({ format: "json" })).details?.[0]?.field).toBe("format");
    expect(refusal(() => chat({ format: { type: "object" } })).message).toContain("format");
    expect(refusal(() => chat({ messages: [{ role: "tool", content: "1" }] })).details?.[0]?.field).toBe("messages.0.role");
    expect(refusal(() => chat({ messages: [{ role: "user", content: "x", images: ["aGk="] }] })).details?.[0]?.field).toBe("messages.0.images");
    expect(refusal(() => chat({ options: { temperature: 9 } })).details?.[0]?.field).toBe("options.temperature");
    expect(refusal(() => chat({ options: { num_predict: 0 } })).details?.[0]?.field).toBe("options.num_predict");
    expect(refusal(() => generate({ prompt: "" })).details?.[0]?.field).toBe("prompt");
    expect(refusal(() => generate({ suffix: "end" })).details?.[0]?.field).toBe("suffix");
    expect(refusal(() => generate({ system: "x".repeat(1_000_001) })).details?.[0]?.field).toBe("system");
  });

  it("takes name:latest as the alias or live model it names", () => {
    expect(ollamaModelName("tinyllama:latest", [])).toBe("tinyllama");
    expect(ollamaModelName("file:/m.gguf:latest", [worker("file:/m.gguf")])).toBe("file:/m.gguf");
    expect(ollamaModelName("other:latest", [])).toBe("other:latest");
  });
});

describe("rbee stream → Ollama objects", () => {
  const clock = (): OllamaClock => {
    let t = 1_000;
    return { now: () => (t += 10), iso: () => "2026-01-01T00:00:00.000Z" };
  };
  const events: StreamEvent[] = [
    { type: "progress", stage: "loading", message: "Loading" },
    { type: "started", job_id: "job-1", worker_id: "w", node_name: "n", model_ref: "m" },
    { type: "token", t: "a", i: 0 },
    { type: "token", t: "", i: 1 },
    { type: "token", t: "b", i: 2 },
    { type: "end", tokens_in: 9, tokens_cached: 4, tokens_out: 3, decode_ms: 5, ttft_ms: 2, stop_reason: "max_tokens" },
  ];

  it("streams one object per token with text, then the last with counts and durations in ns", () => {
    const translator = new OllamaTranslator("chat", "m", clock());
    const chunks = events.flatMap((event) => translator.push(event)).map((output) => (output.kind === "chunk" ? output.chunk : output));
    expect(chunks).toEqual([
      { model: "m", created_at: "2026-01-01T00:00:00.000Z", message: { role: "assistant", content: "a" }, done: false },
      { model: "m", created_at: "2026-01-01T00:00:00.000Z", message: { role: "assistant", content: "b" }, done: false },
      {
        model: "m", created_at: "2026-01-01T00:00:00.000Z", message: { role: "assistant", content: "" }, done: true, done_reason: "length",
        total_duration: 20_000_000, load_duration: 10_000_000, prompt_eval_count: 9, prompt_eval_duration: 2_000_000, eval_count: 3, eval_duration: 3_000_000,
      },
    ]);
  });

  it("collects generate into one object; an error is Ollama's {error}", () => {
    const translator = new OllamaTranslator("generate", "m", clock());
    for (const event of events) translator.push(event);
    expect(translator.collect()).toMatchObject({ kind: "chunk", chunk: { response: "ab", done: true, eval_count: 3 } });
    const failed = new OllamaTranslator("chat", "m", clock());
    failed.push({ type: "error", code: "MODEL_NOT_FOUND", message: "no such model" });
    expect(failed.collect()).toEqual({ kind: "error", error: { status: 404, body: { error: "no such model" } } });
    expect(new OllamaTranslator("chat", "m").collect()).toMatchObject({ kind: "error", error: { status: 502 } });
  });

  it("lists live models first, then the catalog, in Ollama's fields", () => {
    const { models } = listTags(MODEL_ALIASES, [worker("file:/x/tiny-Q8_0.gguf"), worker("file:/x/tiny-Q8_0.gguf")]);
    expect(models.map((model) => model.name)).toEqual(["file:/x/tiny-Q8_0.gguf", ...MODEL_ALIASES.map((alias) => alias.alias)]);
    expect(models[0]).toMatchObject({ model: "file:/x/tiny-Q8_0.gguf", size: 0, digest: expect.stringMatching(/^[0-9a-f]{64}$/), details: { format: "gguf", quantization_level: "Q8_0" } });
    expect(models[1]).toMatchObject({ name: "tinyllama", size: 670_000_000, details: { quantization_level: "Q4_K_M" } });
    expect(quantizationOf("hf:a/b/model.gguf")).toBe("");
  });

  it("lists the files nodes hold that no worker serves and no alias names between the live models and the catalog", () => {
    const aliasRef = MODEL_ALIASES[0]!.model_ref;
    const { models } = listTags(MODEL_ALIASES, [worker("file:/x/live.gguf")], ["hf:o/r/held-Q4_0.gguf", "file:/x/live.gguf", aliasRef, "hf:o/r/held-Q4_0.gguf"]);
    expect(models.map((model) => model.name)).toEqual(["file:/x/live.gguf", "hf:o/r/held-Q4_0.gguf", ...MODEL_ALIASES.map((alias) => alias.alias)]);
    expect(models[1]).toMatchObject({ details: { quantization_level: "Q4_0" } });
  });
});
