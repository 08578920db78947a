// The Ollama-compatible API with the official `ollama` client against a real queen, a real sshd, an
// installed node and real workers on generated models: one install for the whole file.
import { Ollama, type ChatResponse } from "ollama";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startChatFleet, inferenceAnswer, type ChatFleet } from "../helpers/chat-fleet.js";
import { postJson } from "../helpers/installed-node.js";
import type { QueenProcess } from "../helpers/queen-process.js";
import { workerOf, workersWhen } from "../helpers/worker-states.js";

let fleet: ChatFleet;
let queen: QueenProcess;
let chatModel: string;
let endlessModel: string;
let ollama: Ollama;

const messages = [
  { role: "system", content: "You are a tiny test model." },
  { role: "user", content: "Say hello." },
];

beforeAll(async () => {
  fleet = await startChatFleet("rbee-ollama-");
  ({ queen, chatModel, endlessModel } = fleet);
  ollama = new Ollama({ host: queen.baseUrl, headers: { Authorization: `Bearer ${queen.token}` } });
}, 300_000);

afterAll(async () => {
  await fleet?.stop();
});

const rbeeAnswer = (body: Record<string, unknown>) => inferenceAnswer(queen, body);

describe("the official ollama client against the queen", () => {
  test("version() and list(): the live workers' models first, then the catalog, in Ollama's fields", async () => {
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    const { models } = await ollama.list();
    const names = models.map((model) => model.name);
    expect(names.slice(0, 2).sort()).toEqual([chatModel, endlessModel].sort());
    expect(names).toEqual(expect.arrayContaining(["tinyllama", "qwen2.5-0.5b"]));
    const tiny = models.find((model) => model.name === "tinyllama");
    expect(tiny).toMatchObject({ model: "tinyllama", size: expect.any(Number), digest: expect.stringMatching(/^[0-9a-f]{64}$/), details: { format: "gguf", quantization_level: "Q4_K_M" } });
    expect(Number.isNaN(new Date(String(tiny?.modified_at)).getTime())).toBe(false);
  });

  test("chat({stream: true}): parts arrive, the last has done, the reason and the counts of the same request through /v1/inference", async () => {
    const rbee = await rbeeAnswer({ model: chatModel, messages, max_tokens: 12, temperature: 0 });
    const parts: ChatResponse[] = [];
    for await (const part of await ollama.chat({ model: chatModel, messages, stream: true, options: { temperature: 0, num_predict: 12 } })) parts.push(part);
    const last = parts.at(-1)!;
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.slice(0, -1).every((part) => part.done === false && part.message.content !== "")).toBe(true);
    expect(last).toMatchObject({ model: chatModel, done: true, done_reason: rbee.end.stop_reason === "max_tokens" ? "length" : "stop" });
    expect(last.eval_count).toBe(rbee.end.tokens_out);
    expect(last.prompt_eval_count).toBe(rbee.end.tokens_in);
    for (const duration of [last.total_duration, last.load_duration, last.prompt_eval_duration, last.eval_duration]) expect(Number.isInteger(duration)).toBe(true);
    expect(last.total_duration).toBeGreaterThan(last.eval_duration);
    expect(parts.map((part) => part.message.content).join("")).toBe(rbee.text);

    const whole = await ollama.chat({ model: chatModel, messages, options: { temperature: 0, num_predict: 12 } });
    expect(whole).toMatchObject({ done: true, message: { role: "assistant", content: rbee.text }, eval_count: rbee.end.tokens_out });
  }, 60_000);

  test("generate(): the prompt as a user turn after the system prompt, or raw; options.stop ends it", async () => {
    const options = { temperature: 0, num_predict: 30 };
    const answer = await ollama.generate({ model: chatModel, prompt: "Say hello.", system: "You are a tiny test model.", options });
    const rbee = await rbeeAnswer({ model: chatModel, messages, max_tokens: 30, temperature: 0 });
    expect(answer).toMatchObject({ model: chatModel, done: true, response: rbee.text, prompt_eval_count: rbee.end.tokens_in, eval_count: rbee.end.tokens_out });

    const raw = await ollama.generate({ model: chatModel, prompt: "Say hello.", raw: true, options });
    const rawRbee = await rbeeAnswer({ model: chatModel, prompt: "Say hello.", max_tokens: 30, temperature: 0 });
    expect(raw).toMatchObject({ response: rawRbee.text, prompt_eval_count: rawRbee.end.tokens_in });

    const text = answer.response ?? "";
    const stop = [...text.slice(3)].find((char) => /[A-Za-z0-9]/.test(char));
    expect(stop, `no letter or digit to stop on in ${JSON.stringify(text)}`).toBeDefined();
    const stopped = await ollama.generate({ model: chatModel, prompt: "Say hello.", system: "You are a tiny test model.", options: { ...options, stop: [stop!] } });
    expect(stopped).toMatchObject({ done_reason: "stop", response: text.slice(0, text.indexOf(stop!)) });
  }, 60_000);

  test("streams NDJSON by default, as Ollama does", async () => {
    const response = await postJson(queen, "/api/generate", { model: chatModel, prompt: "hi", options: { num_predict: 4 } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text()).trim().split("\n").map((line) => JSON.parse(line) as { done: boolean; response: string });
    expect(lines.at(-1)?.done).toBe(true);
    expect(lines.slice(0, -1).every((line) => line.done === false && typeof line.response === "string")).toBe(true);
  });

  test("aborting the stream cancels the job: the worker is idle again", async () => {
    const stream = await ollama.chat({ model: endlessModel, messages, stream: true, options: { num_predict: 20_000 } });
    let parts = 0;
    for await (const part of stream) {
      if (part.message.content) parts += 1;
      if (parts < 3) continue;
      await workersWhen(queen, (list) => workerOf(list, endlessModel)?.slots_available === 0);
      stream.abort();
      break;
    }
    const workers = await workersWhen(queen, (list) => workerOf(list, endlessModel)?.state === "idle" && workerOf(list, endlessModel)?.slots_available === 1);
    expect(workerOf(workers, endlessModel)).toMatchObject({ node_name: "box" });
  }, 30_000);

  test("errors come as Ollama's {error} with the right status, which the client raises", async () => {
    await expect(ollama.chat({ model: "llama3.2", messages })).rejects.toMatchObject({ name: "ResponseError", status_code: 404, error: expect.stringContaining("llama3.2") });
    await expect(ollama.chat({ model: chatModel, messages, format: "json" })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining("format") });
    await expect(ollama.generate({ model: chatModel, prompt: "" })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining("prompt") });
    const stranger = new Ollama({ host: queen.baseUrl, headers: { Authorization: "Bearer not-the-token" } });
    await expect(stranger.list()).rejects.toMatchObject({ status_code: 401, error: expect.stringContaining("Invalid token") });
    const unknown = await fetch(`${queen.baseUrl}/api/show`, { method: "POST", headers: { authorization: `Bearer ${queen.token}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: expect.stringContaining("/api/show") });
  }, 30_000);
});
