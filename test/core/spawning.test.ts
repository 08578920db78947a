// A spawn resolves with the worker the hive's `ready` event carries, registered at once; the same
// registration relayed by the hive, before or after, is a repeat of it.
import { expect, test } from "vitest";
import { CallbackTokens } from "../../src/core/callback-tokens.js";
import { registrationOf } from "../../src/core/fleet/hive-worker-registration.js";
import { spawnWorker, type SpawnDeps } from "../../src/core/fleet/spawning.js";
import { WorkerEndpoints } from "../../src/core/fleet/worker-endpoints.js";
import { WorkerLifecycle } from "../../src/core/fleet/worker-lifecycle.js";
import { WorkerRegistry } from "../../src/core/registry/worker-registry.js";
import { hiveWorker as listedWorker, useMacRegistry } from "../helpers/mac-registry.js";
import type { HiveSpawnRequest, HiveWorker } from "../../src/shared/contract/index.js";

const registry = useMacRegistry("rbee-spawn-");

const hiveWorker = (id: string): HiveWorker => listedWorker(id);

/** A spawn against a hive that reports `spawned` then `ready`; `beforeReady` runs in between. */
function setUp(beforeReady: (workerId: string) => void = () => {}, workerThreads?: number) {
  const asked: HiveSpawnRequest[] = [];
  const workers = new WorkerRegistry();
  const callbackTokens = new CallbackTokens();
  const endpoints = new WorkerEndpoints({ beehives: registry(), workers, hives: { ensure: () => Promise.reject(new Error("unused")) }, connections: { get: () => Promise.reject(new Error("unused")) } });
  const lifecycle = new WorkerLifecycle({ beehives: registry(), workers, callbackTokens, endpoints, hives: { attach: async () => undefined }, log: () => {} });
  const hive = {
    client: {
      async *spawn(request: HiveSpawnRequest) {
        asked.push(request);
        const id = request.worker_id!;
        yield { type: "spawned" as const, worker_id: id, url: "http://127.0.0.1:9301", pid: 42, state: "loading" as const, token: "worker-api-token" };
        yield { type: "progress" as const, stage: "loading", message: "loading" };
        beforeReady(id);
        yield { type: "ready" as const, worker: hiveWorker(id) };
      },
    },
  };
  const deps = {
    beehives: registry(),
    workers,
    callbackTokens,
    endpoints,
    lifecycle,
    access: { connect: async () => ({}), startHive: async () => hive },
    install: async () => {},
    workerThreads,
  } as unknown as SpawnDeps;
  const spawn = (threads?: number) => spawnWorker(deps, { node_name: "mac", model_ref: "tiny", backend: "cpu", device: 0, threads }, () => {});
  return { workers, endpoints, lifecycle, spawn, asked };
}

test("the worker in the hive's ready event is registered and returned, without waiting for its callback", async () => {
  const { workers, endpoints, spawn } = setUp();
  const worker = await spawn();
  expect(worker).toMatchObject({ node_name: "mac", state: "idle", slots_total: 2, slots_available: 2, url: "http://127.0.0.1:9301" });
  expect(workers.get(worker.id)).toEqual(worker);
  expect(endpoints.hasToken(worker.id)).toBe(true);
});

test("the relayed registration arriving afterwards is a repeat (200), not a new worker", async () => {
  const { workers, lifecycle, spawn } = setUp();
  const worker = await spawn();
  const relayed = { ...registrationOf(hiveWorker(worker.id)), node_name: "mac" };
  expect(lifecycle.admit(relayed, "mac")).toBe("unchanged");
  expect(lifecycle.admit({ ...relayed, vram_bytes: 1024 }, "mac")).toBe("updated");
  expect(workers.count()).toBe(1);
});

test("a relayed registration that arrived first is kept as it is", async () => {
  const { workers, lifecycle, spawn } = setUp((id) => {
    lifecycle.admit({ ...registrationOf(hiveWorker(id)), vram_bytes: 1024 }, "mac");
  });
  const worker = await spawn();
  expect(worker.vram_bytes).toBe(1024);
  expect(workers.count()).toBe(1);
});

test("threads: the request's, else the queen's RBEE_WORKER_THREADS, else none (the worker picks)", async () => {
  const fromRequest = setUp(() => {}, 3);
  await fromRequest.spawn(2);
  expect(fromRequest.asked[0]?.threads).toBe(2);
  const fromQueen = setUp(() => {}, 3);
  await fromQueen.spawn();
  expect(fromQueen.asked[0]?.threads).toBe(3);
  const fromWorker = setUp();
  await fromWorker.spawn();
  expect(fromWorker.asked[0]).not.toHaveProperty("threads");
});
