// One model across two machines, as a user gets it: two loopback "machines" (each its own sshd and
// node home, rbee installed from this project) under a real queen; an 8-layer generated model split
// from `main` (llama-server, through the real llm-worker-rbee) onto `side` (ggml-rpc-server), the
// queen tunnelling side's rpc-server to main over its own SSH connections. Needs the llama.cpp
// build (scripts/build-llama.sh), which CI runs before this pass.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HiveRpcServersResponse, WorkerExitsResponse, type ErrorEvent, type RegisteredWorker, type StreamEvent } from "../../src/shared/contract/index.js";
import { inferenceAnswer } from "../helpers/chat-fleet.js";
import { jsonClient } from "../helpers/http-client.js";
import { postJson, spawnWorker } from "../helpers/installed-node.js";
import { listeningSockets } from "../helpers/listening-sockets.js";
import { alive, descendants } from "../helpers/process-tree.js";
import { readStreamEvents } from "../helpers/sse.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "../helpers/tiny-gguf.js";
import { startTwoMachines, type Machine, type TwoMachines } from "../helpers/two-machines.js";
import { until } from "../helpers/until.js";

const LOSS_DEADLINE_MS = 2_000;
const PROMPT = "The bees";

let dir: string;
let fleet: TwoMachines;
let modelRef: string;
let api: ReturnType<typeof jsonClient>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-split-model-"));
  fleet = await startTwoMachines(dir, ["main", "side"]);
  api = jsonClient(fleet.queen.baseUrl, fleet.queen.token);
  const model = join(dir, "split.gguf");
  await writeTinyGguf(model, { blocks: 8, text: "printable", seed: 11, chatTemplate: CHATML_TEMPLATE });
  modelRef = `file:${model}`;
}, 300_000);

afterAll(async () => {
  await fleet?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function hivePid(machine: Machine): number {
  return (JSON.parse(readFileSync(join(machine.home, "hive.json"), "utf8")) as { pid: number }).pid;
}

/** Every process of the product on both machines: the queen, both hives and all they started. */
function productPids(): number[] {
  const roots = [fleet.queen.child.pid!, hivePid(fleet.a), hivePid(fleet.b)];
  return roots.flatMap((pid) => [pid, ...descendants(pid)]);
}

async function rpcServers(machine: Machine) {
  const hive = machine.hive();
  const response = await fetch(`${hive.url}/v1/rpc/list`, { headers: { authorization: `Bearer ${hive.token}` } });
  expect(response.status).toBe(200);
  return HiveRpcServersResponse.parse(await response.json()).servers;
}

async function workers(): Promise<RegisteredWorker[]> {
  return (await api.get("/v1/workers/list")).body.workers as RegisteredWorker[];
}

function spawnSplit(): Promise<RegisteredWorker> {
  return spawnWorker(fleet.queen, { node_name: "main", model_ref: modelRef, engine: "llama-server", shards: ["side"], ctx: 1024, threads: 1 });
}

async function stopWorker(worker: RegisteredWorker): Promise<void> {
  expect((await api.delete(`/v1/workers/${worker.id}`)).status).toBe(204);
  await until(async () => (await workers()).length === 0, "the worker to leave the registry", 15_000);
}

const greedy = { model: "", prompt: PROMPT, max_tokens: 24, temperature: 0, seed: 1 };

describe("a model split across two machines", () => {
  let splitText = "";
  let splitChat = "";

  test("streams through /v1/inference and /v1/chat/completions; side's rpc-server holds tensors; nothing listens beyond loopback", async () => {
    const worker = await spawnSplit();
    expect(worker).toMatchObject({ node_name: "main", model_ref: modelRef, engine: "llama-server", state: "idle", shards: [{ node_name: "side" }] });

    const { text, end } = await inferenceAnswer(fleet.queen, { ...greedy, model: modelRef });
    expect(end.tokens_out).toBe(24);
    expect(text.length).toBeGreaterThan(0);
    splitText = text;

    const client = new OpenAI({ apiKey: fleet.queen.token, baseURL: `${fleet.queen.baseUrl}/v1`, maxRetries: 0, timeout: 60_000 });
    const stream = await client.chat.completions.create({ model: modelRef, messages: [{ role: "user", content: "Hello" }], max_tokens: 16, temperature: 0, seed: 1, stream: true });
    const deltas: string[] = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta.content ?? "");
    splitChat = deltas.join("");
    expect(deltas.filter((delta) => delta.length > 0).length).toBeGreaterThan(1);

    // The shard's rpc-server says what it holds (read from its own log by side's hive).
    const [server, ...more] = await rpcServers(fleet.b);
    expect(more).toEqual([]);
    expect(server).toMatchObject({ worker_id: worker.id, backend: "cpu" });
    expect(server!.tensors).toBeGreaterThan(0);
    expect(server!.buffer_bytes).toBeGreaterThan(0);
    expect(await rpcServers(fleet.a)).toEqual([]);

    // Every listening socket of the product, rpc-server and llama-server included, is on loopback.
    const sockets = listeningSockets(productPids());
    expect(sockets.map((socket) => socket.pid)).toContain(server!.pid);
    expect(sockets.filter((socket) => socket.address !== "127.0.0.1" && socket.address !== "::1")).toEqual([]);
    // Both hives, the queen, the worker, llama-server, rpc-server: at least six listeners.
    expect(new Set(sockets.map((socket) => socket.pid)).size).toBeGreaterThanOrEqual(5);

    await stopWorker(worker);
    await until(async () => (await rpcServers(fleet.b)).length === 0, "side's rpc-server to stop with the worker", 10_000);
  }, 240_000);

  test("at temperature 0 writes the same text as the same model on one llama-server", async () => {
    expect(splitText).not.toBe("");
    const worker = await spawnWorker(fleet.queen, { node_name: "main", model_ref: modelRef, engine: "llama-server", ctx: 1024, threads: 1 });
    expect(worker.shards ?? []).toEqual([]);
    const { text } = await inferenceAnswer(fleet.queen, { ...greedy, model: modelRef });
    expect(text).toBe(splitText);
    const client = new OpenAI({ apiKey: fleet.queen.token, baseURL: `${fleet.queen.baseUrl}/v1`, maxRetries: 0, timeout: 60_000 });
    const reply = await client.chat.completions.create({ model: modelRef, messages: [{ role: "user", content: "Hello" }], max_tokens: 16, temperature: 0, seed: 1 });
    expect(reply.choices[0]?.message.content).toBe(splitChat);
    await stopWorker(worker);
  }, 240_000);

  test("killing the shard's rpc-server mid-stream ends the stream with SHARD_LOST within 2 s; the worker goes and nothing is left running", async () => {
    const worker = await spawnSplit();
    const [server] = await rpcServers(fleet.b);
    const mainProcesses = descendants(hivePid(fleet.a));
    expect(mainProcesses.length).toBeGreaterThanOrEqual(2); // llm-worker-rbee and its llama-server

    let killedAt = 0;
    let tokens = 0;
    const response = await postJson(fleet.queen, "/v1/inference", { model: modelRef, prompt: PROMPT, max_tokens: 900, temperature: 0 });
    expect(response.status).toBe(200);
    const { events } = await readStreamEvents(response, (event: StreamEvent) => {
      if (event.type !== "token") return;
      tokens += 1;
      if (tokens === 3) {
        killedAt = performance.now();
        process.kill(server!.pid, "SIGKILL");
      }
    });
    const endedAfter = performance.now() - killedAt;
    expect(killedAt).toBeGreaterThan(0);
    const last = events.at(-1) as ErrorEvent;
    expect(last).toMatchObject({ type: "error", code: "SHARD_LOST" });
    expect(last.message).toMatch(/side/);
    expect(endedAfter).toBeLessThan(LOSS_DEADLINE_MS);
    expect(events.some((event) => event.type === "end")).toBe(false);

    await until(async () => !(await workers()).some((entry) => entry.id === worker.id), "the split worker to leave the registry", LOSS_DEADLINE_MS + 3_000);
    // Its exit card says why: the queen ended it, naming the lost shard.
    const exits = WorkerExitsResponse.parse((await api.get("/v1/workers/exits")).body).exits;
    expect(exits.find((exit) => exit.worker_id === worker.id)?.error).toMatchObject({ code: "SHARD_LOST" });
    await until(() => mainProcesses.every((pid) => !alive(pid)), "the worker and its llama-server on main to exit", 10_000);
    expect(alive(server!.pid)).toBe(false);
    expect(await rpcServers(fleet.b)).toEqual([]);
    expect(descendants(hivePid(fleet.b))).toEqual([]);
    expect(descendants(hivePid(fleet.a))).toEqual([]);

    // The fleet is still usable: the same model split again answers.
    const again = await spawnSplit();
    const { end } = await inferenceAnswer(fleet.queen, { ...greedy, model: modelRef, max_tokens: 4 });
    expect(end.tokens_out).toBe(4);
    await stopWorker(again);
  }, 240_000);
});
