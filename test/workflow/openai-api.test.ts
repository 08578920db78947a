// The OpenAI-compatible API with the official `openai` client against a real queen, a real sshd and
// a real worker: one install (from a git repository of this project) for the whole file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jsonClient } from "../helpers/http-client.js";
import { makeProjectRepo } from "../helpers/project-repo.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readSseJson } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "../helpers/tiny-gguf.js";
import { workersWhen } from "../helpers/worker-states.js";


let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let modelRef: string;
let client: OpenAI;

const conversation: OpenAI.ChatCompletionMessageParam[] = [
  { role: "system", content: "You are a tiny test model." },
  { role: "user", content: "Say hello." },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-openai-"));
  const repoUrl = makeProjectRepo(join(dir, "repo"));
  const model = join(dir, "tiny-chat.gguf");
  await writeTinyGguf(model, { seed: 7, chatTemplate: CHATML_TEMPLATE });
  modelRef = `file:${model}`;
  sshd = await startSshd();
  queen = await startQueen({ env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1" } });
  client = new OpenAI({ apiKey: queen.token, baseURL: `${queen.baseUrl}/v1`, maxRetries: 0, timeout: 60_000 });

  const api = jsonClient(queen.baseUrl, queen.token);
  const added = await api.post("/v2/registry/beehives/add", {
    node_name: "gpu1", ssh_host: sshd.host, ssh_port: sshd.port, ssh_user: sshd.user, ssh_key_path: sshd.keyPath,
    git_repo_url: repoUrl, install_path: join(dir, "node", "rbee"),
  });
  expect(added.status).toBe(201);
  const install = await fetch(`${queen.baseUrl}/v2/registry/beehives/install`, {
    method: "POST",
    headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
    body: JSON.stringify({ node_name: "gpu1" }),
  });
  const { events, done } = await readSseJson(install);
  expect(events.filter((event) => (event as { type: string }).type === "error")).toEqual([]);
  expect(done).toBe(true);
}, 240_000);

afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the official openai client against the queen", () => {
  test("lists the catalog's aliases as models", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["tinyllama"]));
    expect(ids).not.toContain(modelRef);
    const tinyllama = await client.models.retrieve("tinyllama");
    expect(tinyllama).toMatchObject({ id: "tinyllama", object: "model", owned_by: "rbee" });
  });

  test("streams a chat completion from a real worker (cold start), ending with the finish reason", async () => {
    const stream = await client.chat.completions.create({
      model: modelRef,
      messages: conversation,
      stream: true,
      max_tokens: 12,
      temperature: 1,
      seed: 3,
      user: "test-user",
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk" && chunk.model === modelRef)).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(new Set([expect.stringMatching(/^chatcmpl-job-/)]));
    const contents = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").filter((text) => text !== "");
    expect(contents.length).toBeGreaterThan(1);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toMatch(/^(length|stop)$/);
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0]?.finish_reason === null)).toBe(true);

    // The worker it started now shows in the model list.
    const models = (await client.models.list()).data;
    expect(models[0]).toMatchObject({ id: modelRef, rbee: { workers: 1, nodes: ["gpu1"] } });
  }, 90_000);

  test("answers without streaming: a chat.completion with usage, the same text as the stream for the same seed", async () => {
    const request = { model: modelRef, messages: conversation, max_tokens: 12, temperature: 1, seed: 3 };
    const completion = await client.chat.completions.create(request);
    expect(completion).toMatchObject({ object: "chat.completion", model: modelRef, id: expect.stringMatching(/^chatcmpl-job-/) });
    const [choice] = completion.choices;
    expect(choice).toMatchObject({ index: 0, message: { role: "assistant" }, finish_reason: expect.stringMatching(/^(length|stop)$/) });
    expect(choice?.message.content?.length).toBeGreaterThan(0);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(10);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(12);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));

    let streamed = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe(choice?.message.content);
    expect(usage).toEqual(completion.usage);

    // A longer conversation is another prompt: more prompt tokens.
    const longer = await client.chat.completions.create({
      ...request,
      messages: [...conversation, { role: "assistant", content: "Hello." }, { role: "user", content: "Again." }],
    });
    expect(longer.usage?.prompt_tokens).toBeGreaterThan(completion.usage?.prompt_tokens ?? 0);
  }, 60_000);

  test("the stream is OpenAI's SSE: data lines ending with data: [DONE]", async () => {
    const response = await fetch(`${queen.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: modelRef, messages: conversation, stream: true, max_tokens: 4 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await response.text();
    const data = body.split("\n").filter((line) => line.startsWith("data: "));
    expect(data.at(-1)).toBe("data: [DONE]");
    expect(data.slice(0, -1).every((line) => JSON.parse(line.slice(6)).object === "chat.completion.chunk")).toBe(true);
  });

  test("a client that stops reading cancels the job: the worker is idle again", async () => {
    const stream = await client.chat.completions.create({ model: modelRef, messages: conversation, stream: true, max_tokens: 20_000 });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) seen += 1;
      if (seen < 3) continue;
      // Busy first, so that the idle state below is the cancel's doing, not a state never left.
      await workersWhen(queen, (list) => list.length === 1 && list[0]!.state === "busy" && list[0]!.slots_available === 0);
      break;
    }
    const workers = await workersWhen(queen, (list) => list.length === 1 && list[0]!.state === "idle" && list[0]!.slots_available === 1);
    expect(workers[0]).toMatchObject({ model_ref: modelRef, node_name: "gpu1" });
  }, 30_000);

  test("errors come in OpenAI's shape with the right status", async () => {
    const wrongKey = new OpenAI({ apiKey: "not-the-token", baseURL: `${queen.baseUrl}/v1`, maxRetries: 0 });
    await expect(wrongKey.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error" });

    await expect(client.chat.completions.create({ model: "gpt-4o-mini", messages: conversation })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
      param: "model",
      message: expect.stringContaining("gpt-4o-mini"),
    });
    await expect(client.chat.completions.create({ model: modelRef, messages: conversation, n: 2 })).rejects.toMatchObject({
      status: 400,
      param: "n",
      type: "invalid_request_error",
    });
    await expect(
      client.chat.completions.create({ model: modelRef, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:," } }] }] }),
    ).rejects.toMatchObject({ status: 400, param: "messages[0].content[0]" });
    await expect(client.models.retrieve("no-such-model")).rejects.toMatchObject({ status: 404, code: "model_not_found" });

    const raw = await fetch(`${queen.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
      body: "{ not json",
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error: { message: "Request body is not valid JSON", type: "invalid_request_error", param: null, code: "invalid_request" } });
    const missing = await fetch(`${queen.baseUrl}/v1/models`);
    expect(missing.status).toBe(401);
    expect((await missing.json()).error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
  });
});
