import { mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HiveDevices,
  HiveHealth,
  HiveSpawnResponse,
  HiveSpawnStreamEvent,
  HiveStateFile,
  HiveStopResponse,
  HiveWorker,
  HiveWorkersResponse,
  RegisterWorkerRequest,
} from "../../src/shared/contract/index.js";
import { startCallbackReceiver, type CallbackReceiver } from "../helpers/callback-receiver.js";
import { machineGpus, titleWithoutGpu } from "../helpers/gpu.js";
import { readSseJson, readStreamEvents } from "../helpers/sse.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { pidAlive, startHiveProcess, until, type HiveProcess } from "./fixtures/hive-process.js";
import { ModelServer } from "./fixtures/model-server.js";

const HIVE_TOKEN = "hive-token-0123456789abcdef";
const QUEEN_TOKEN = "queen-token-0123456789abcdef";
const SPAWN_CALLBACK_TOKEN = "spawn-callback-token-0123456789";
// The hive finds CUDA through nvidia-smi: where it does, a cuda spawn is not refused.
const hasCuda = machineGpus().cuda;

type AnyEvent = { type: string; [key: string]: any };

let dir: string;
let modelPath: string;
let modelBytes: Buffer;
let hive: HiveProcess;
let queen: CallbackReceiver;
let models: ModelServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-hive-"));
  modelPath = join(dir, "tiny.gguf");
  await writeTinyGguf(modelPath, { seed: 7 });
  modelBytes = await readFile(modelPath);
  queen = await startCallbackReceiver(SPAWN_CALLBACK_TOKEN);
  models = new ModelServer();
  await models.start();
  hive = await startHiveProcess({
    home: join(dir, "home"),
    token: HIVE_TOKEN,
    args: ["--callback-url", queen.url, "--token", QUEEN_TOKEN, "--worker-heartbeat-ms", "200"],
    env: { RBEE_HF_ENDPOINT: models.url },
  });
});

afterAll(async () => {
  await hive?.process.stop();
  await queen?.close();
  await models?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** POSTs a spawn asking for the progress stream and reads it to the end. */
async function spawnStream(body: Record<string, unknown>, onEvent?: (event: AnyEvent) => void): Promise<AnyEvent[]> {
  const response = await hive.fetch("/v1/workers/spawn", { body, headers: { accept: "text/event-stream" } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const { events, done } = await readSseJson(response, (event) => onEvent?.(event as AnyEvent));
  expect(done).toBe(true);
  // Every event is one the queen's reader accepts.
  for (const event of events) HiveSpawnStreamEvent.parse(event);
  return events as AnyEvent[];
}

describe("rbee-hive daemon", () => {
  it("answers health without a token and everything else only with the hive token", async () => {
    const health = await fetch(`${hive.url}/v1/health`);
    expect(HiveHealth.parse(await health.json())).toEqual({ status: "alive", version: expect.any(String) });

    for (const authorization of [undefined, "Bearer wrong-token-0123456789"]) {
      const response = await fetch(`${hive.url}/v1/workers/list`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect((await response.json()).error.code).toBe("UNAUTHORIZED");
    }
    // A worker callback needs that worker's own token, not the hive's.
    const callback = await hive.json("/v1/workers/register", { worker_id: "x" });
    expect(callback.status).toBe(401);
  });

  it("writes RBEE_HOME/hive.json as one line the queen's schema reads", async () => {
    const text = await readFile(join(dir, "home", "hive.json"), "utf8");
    expect(text.trim().split("\n")).toHaveLength(1);
    expect(text).toMatch(/"pid":\d+/); // what the stop script's sed reads
    const state = HiveStateFile.parse(JSON.parse(text));
    expect(state).toEqual({ pid: hive.process.pid, port: Number(new URL(hive.url).port), url: hive.url, version: expect.any(String), node_name: null });
  });

  it("accepts null for every optional field of a spawn request", async () => {
    const huge = join(dir, "huge-null.gguf");
    await writeFile(huge, "");
    await truncate(huge, 2 ** 40);
    const nulls = { backend: null, device: null, slots: null, ctx: null, threads: null, ttl_s: null, worker_id: null, callback_token: null };
    // Past validation (not 400): the checks after it refuse the terabyte.
    const { status, body } = await hive.json("/v1/workers/spawn", { model_ref: `file:${huge}`, ...nulls });
    expect(status).toBe(503);
    expect(body.error.code).toBe("NO_CAPACITY");
  });

  it("reports devices: cpu always, without any GPU tools", async () => {
    const { status, body } = await hive.json("/v1/devices");
    expect(status).toBe(200);
    const devices = HiveDevices.parse(body);
    expect(devices.backends).toContain("cpu");
    expect(devices.devices.cpu).toBe(1);
    expect(devices.ram_bytes).toBeGreaterThan(0);
  });

  it("answers 400 with field details for a bad spawn body", async () => {
    const { status, body } = await hive.json("/v1/workers/spawn", { model_ref: "", backend: "tpu", threads: 0, extra: 1 });
    expect(status).toBe(400);
    expect(body.error.code).toBe("INVALID_REQUEST");
    const fields = (body.error.details as { field: string }[]).map((detail) => detail.field);
    expect(fields).toEqual(expect.arrayContaining(["model_ref", "backend", "threads"]));
  });

  it.skipIf(hasCuda)(titleWithoutGpu("refuses a cuda spawn on a node without CUDA, naming the backend, and starts nothing", hasCuda), async () => {
    const { status, body } = await hive.json("/v1/workers/spawn", { model_ref: `file:${modelPath}`, backend: "cuda" });
    expect(status).toBe(503);
    expect(body.error.code).toBe("BACKEND_UNAVAILABLE");
    expect(body.error.message).toMatch(/cuda/);
    expect((await hive.json("/v1/workers/list")).body.workers).toEqual([]);
  });

  it("refuses a model that cannot fit in free memory with NO_CAPACITY", async () => {
    // A sparse file: a terabyte on paper, nothing on disk.
    const huge = join(dir, "huge.gguf");
    await writeFile(huge, "");
    await truncate(huge, 2 ** 40);
    const events = await spawnStream({ model_ref: `file:${huge}` });
    expect(events.at(-1)).toMatchObject({ type: "error", code: "NO_CAPACITY", message: expect.stringMatching(/free memory/) });
    expect((await hive.json("/v1/workers/list")).body.workers).toEqual([]);
  });

  it("streams the worker's own error when it exits before it is ready", async () => {
    const junk = join(dir, "junk.gguf");
    await writeFile(junk, "this is not a GGUF file");
    const events = await spawnStream({ model_ref: `file:${junk}`, threads: 1 });
    expect(events.map((event) => event.type)).toEqual(["progress", "spawned", "progress", "error"]);
    expect(events.at(-1)).toMatchObject({ code: "WORKER_FAILED", message: expect.stringMatching(/exited with code 1 before it was ready: .*GGUF/) });
    expect((await hive.json("/v1/workers/list")).body.workers).toEqual([]);
  });

  it("spawns a worker whose ready callback reaches the queen, serves inference, and is dropped when killed", async () => {
    queen.failNext("register", 503); // the first relay fails: the next heartbeat retries it
    const events = await spawnStream({
      model_ref: `file:${modelPath}`,
      threads: 1,
      ctx: 256,
      worker_id: "w-first",
      callback_token: SPAWN_CALLBACK_TOKEN,
    });
    expect(events.map((event) => event.type)).toEqual(["progress", "spawned", "progress", "ready"]);
    const spawned = events[1]!;
    expect(spawned).toMatchObject({ worker_id: "w-first", state: "loading", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    const ready = HiveWorker.parse(events[3]!.worker);
    expect(ready).toMatchObject({ id: "w-first", pid: spawned.pid, url: spawned.url, backend: "cpu", state: "idle", slots_total: 1 });

    const registration = await queen.waitFor((call) => call.kind === "register" && call.status === 201);
    expect(registration.authorization).toBe(`Bearer ${SPAWN_CALLBACK_TOKEN}`);
    expect(RegisterWorkerRequest.parse(registration.body)).toMatchObject({
      worker_id: "w-first",
      url: spawned.url,
      model_ref: `file:${modelPath}`,
      backend: "cpu",
      device: 0,
      slots_total: 1,
      slots_available: 1,
    });
    expect(queen.calls.filter((call) => call.kind === "register").map((call) => call.status)).toEqual([503, 201]);
    await queen.waitFor((call) => call.kind === "heartbeat" && call.status === 200);

    const inference = await fetch(`${spawned.url}/v1/inference`, {
      method: "POST",
      headers: { authorization: `Bearer ${spawned.token}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "hello", max_tokens: 4, seed: 1 }),
    });
    expect(inference.status).toBe(200);
    const { events: tokens, done } = await readStreamEvents(inference);
    expect(done).toBe(true);
    expect(tokens.at(-1)).toMatchObject({ type: "end", tokens_out: 4 });

    // The same id again is a conflict.
    expect(HiveWorkersResponse.parse((await hive.json("/v1/workers/list")).body).workers.map((worker) => worker.id)).toEqual(["w-first"]);
    const conflict = await hive.json("/v1/workers/spawn", { model_ref: `file:${modelPath}`, worker_id: "w-first" });
    expect(conflict.status).toBe(409);

    process.kill(spawned.pid, "SIGKILL");
    await until(async () => (await hive.json("/v1/workers/list")).body.workers.length === 0, "the killed worker to leave the list");
  });

  it("tells a new queen callback about every ready worker", async () => {
    const events = await spawnStream({ model_ref: `file:${modelPath}`, threads: 1, ctx: 256, worker_id: "w-relay", callback_token: SPAWN_CALLBACK_TOKEN });
    expect(events.at(-1)?.type).toBe("ready");
    const newQueen = await startCallbackReceiver(QUEEN_TOKEN);
    try {
      const { status } = await hive.json("/v1/callback", { callback_url: newQueen.url, token: QUEEN_TOKEN, node_name: "node-a" });
      expect(status).toBe(200);
      // The new queen does not know the old per-spawn token: the hive falls back to the token it was given.
      const registration = await newQueen.waitFor((call) => call.kind === "register" && call.status === 201);
      expect(registration.body).toMatchObject({ worker_id: "w-relay", node_name: "node-a" });
      await newQueen.waitFor((call) => call.kind === "heartbeat" && call.authorized);
    } finally {
      await newQueen.close();
    }
    const stopped = await hive.json("/v1/workers/stop", { worker_id: "w-relay" });
    expect(stopped).toEqual({ status: 200, body: { stopped: true, worker_id: "w-relay" } });
    HiveStopResponse.parse(stopped.body);
    expect(pidAlive(events.find((event) => event.type === "spawned")!.pid)).toBe(false);
    expect((await hive.json("/v1/workers/stop", { worker_id: "w-relay" })).status).toBe(404);
  });

  it("stops a worker that stays idle for its TTL", async () => {
    const response = await hive.json("/v1/workers/spawn", { model_ref: `file:${modelPath}`, threads: 1, ctx: 256, ttl_s: 1 });
    expect(response.status).toBe(201);
    const { worker_id, pid } = HiveSpawnResponse.parse(response.body);
    await hive.process.waitForLine(new RegExp(`worker ${worker_id} was idle for 1 s: stopping it`), { stream: "stderr" });
    await hive.process.waitForLine(new RegExp(`worker ${worker_id} \\(pid ${pid}\\) exited`), { stream: "stderr" });
    expect(pidAlive(pid)).toBe(false);
    expect((await hive.json("/v1/workers/list")).body.workers).toEqual([]);
  });

  it("downloads a model once for concurrent requests, with progress, and lists it", async () => {
    let release!: () => void;
    models.serve("shared.gguf", { body: modelBytes, gate: new Promise<void>((resolve) => (release = resolve)) });
    const progressed = [false, false];
    const download = async (index: number): Promise<AnyEvent[]> => {
      const response = await hive.fetch("/v1/models/download", { body: { model_ref: "hf:test/tiny/shared.gguf" }, headers: { accept: "text/event-stream" } });
      const { events } = await readSseJson(response, (event) => {
        if ((event as AnyEvent).type !== "progress" || progressed[index]) return;
        progressed[index] = true;
        if (progressed.every(Boolean)) release();
      });
      return events as AnyEvent[];
    };
    const [first, second] = await Promise.all([download(0), download(1)]);

    expect(models.bodyRequests("shared.gguf")).toHaveLength(1);
    for (const events of [first, second]) {
      expect(events.filter((event) => event.type === "progress").every((event) => event.stage === "download")).toBe(true);
      expect(events.at(-1)).toMatchObject({ type: "model", model: { model_ref: "hf:test/tiny/shared.gguf", size_bytes: modelBytes.length } });
    }
    expect(first.some((event) => event.type === "progress" && event.bytes === modelBytes.length && event.bytes_total === modelBytes.length)).toBe(true);
    const listed = (await hive.json("/v1/models/list")).body.models as { model_ref: string; path: string; sha256: string }[];
    expect(listed).toEqual([expect.objectContaining({ model_ref: "hf:test/tiny/shared.gguf", size_bytes: modelBytes.length })]);
    expect((await stat(listed[0]!.path)).size).toBe(modelBytes.length);
  });

  it("shares one download between two spawns, and stops every worker when it gets SIGTERM", async () => {
    let release!: () => void;
    models.serve("spawned.gguf", { body: modelBytes, gate: new Promise<void>((resolve) => (release = resolve)) });
    const downloading = [false, false];
    const spawn = (index: number): Promise<AnyEvent[]> =>
      spawnStream({ model_ref: "hf:test/tiny/spawned.gguf", threads: 1, ctx: 256 }, (event) => {
        if (event.type !== "progress" || event.stage !== "download" || downloading[index]) return;
        downloading[index] = true;
        if (downloading.every(Boolean)) release();
      });
    const streams = await Promise.all([spawn(0), spawn(1)]);

    expect(models.bodyRequests("spawned.gguf")).toHaveLength(1);
    const pids = streams.map((events) => {
      expect(events.map((event) => event.type)).toContain("ready");
      return events.find((event) => event.type === "spawned")!.pid as number;
    });
    expect(new Set(pids).size).toBe(2);
    expect(pids.every(pidAlive)).toBe(true);

    hive.process.child.kill("SIGTERM");
    const exit = await hive.process.waitForExit();
    expect(exit.code).toBe(0);
    expect(pids.filter(pidAlive)).toEqual([]);
  });
});
