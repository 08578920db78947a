// A worker's own API token goes with every job the queen sends it. It is kept, and used, only for
// the URL the worker's hive reported (over the queen's own SSH connection): a registration at
// another URL (anyone on a node can open a port) gets neither the token nor a job.
import { describe, expect, test } from "vitest";
import { CallbackTokens } from "../../src/core/callback-tokens.js";
import { registrationOf } from "../../src/core/fleet/hive-worker-registration.js";
import { adoptRunningWorkers } from "../../src/core/fleet/rediscovery.js";
import { spawnWorker, type SpawnDeps } from "../../src/core/fleet/spawning.js";
import { WorkerEndpoints } from "../../src/core/fleet/worker-endpoints.js";
import { WorkerLifecycle } from "../../src/core/fleet/worker-lifecycle.js";
import type { HiveHandle } from "../../src/core/remote/hive-control.js";
import { WorkerRegistry } from "../../src/core/registry/worker-registry.js";
import { hiveWorker as listedWorker, useMacRegistry } from "../helpers/mac-registry.js";
import type { HiveSpawnRequest, HiveWorker } from "../../src/shared/contract/index.js";

const HIVE_URL = "http://127.0.0.1:9301";
const OTHER_URL = "http://127.0.0.1:6666";

const registry = useMacRegistry("rbee-api-token-");

const hiveWorker = (id: string): HiveWorker => listedWorker(id, { url: HIVE_URL, slots: 1 });

function setUp(running: () => HiveWorker[] = () => []) {
  const workers = new WorkerRegistry();
  const callbackTokens = new CallbackTokens();
  const hive = {
    client: {
      listWorkers: async () => running(),
      async *spawn(request: HiveSpawnRequest) {
        const id = request.worker_id!;
        yield { type: "spawned" as const, worker_id: id, url: HIVE_URL, pid: 42, state: "loading" as const, token: "worker-api-token" };
        beforeReady(id);
        yield { type: "ready" as const, worker: hiveWorker(id) };
      },
    },
  };
  let beforeReady = (_id: string): void => {};
  const connection = { localPortFor: async (port: number) => port + 10_000 };
  const endpoints = new WorkerEndpoints({ beehives: registry(), workers, hives: { ensure: async () => hive as unknown as HiveHandle }, connections: { get: async () => connection as never } });
  const lifecycle = new WorkerLifecycle({ beehives: registry(), workers, callbackTokens, endpoints, hives: { attach: async () => undefined }, log: () => {} });
  const deps = {
    beehives: registry(),
    workers,
    callbackTokens,
    endpoints,
    lifecycle,
    access: { connect: async () => ({}), startHive: async () => hive },
    install: async () => {},
  } as unknown as SpawnDeps;
  const spawn = (between: (id: string) => void = () => {}) => {
    beforeReady = between;
    return spawnWorker(deps, { node_name: "mac", model_ref: "tiny", backend: "cpu", device: 0 }, () => {});
  };
  const adopt = () => adoptRunningWorkers({ hives: { attach: async () => hive } as never, endpoints, lifecycle, log: () => {} }, registry().require("mac"));
  return { workers, endpoints, lifecycle, spawn, adopt };
}

describe("a spawn", () => {
  test("keeps the token once the worker is registered at the URL its hive reported", async () => {
    const { endpoints, spawn } = setUp();
    const worker = await spawn();
    expect(worker.url).toBe(HIVE_URL);
    expect(endpoints.hasToken(worker.id)).toBe(true);
    expect(await endpoints.endpoint(worker)).toEqual({ baseUrl: "http://127.0.0.1:19301", token: "worker-api-token" });
  });

  test("fails, keeping no token, when the worker was registered at another URL before its hive said ready", async () => {
    const { workers, endpoints, lifecycle, spawn } = setUp();
    let id = "";
    const spawned = spawn((workerId) => {
      id = workerId;
      lifecycle.admit({ ...registrationOf(hiveWorker(workerId)), url: OTHER_URL }, "mac");
    });
    await expect(spawned).rejects.toMatchObject({ code: "WORKER_CONFLICT" });
    expect(endpoints.hasToken(id)).toBe(false);
    expect(workers.get(id)).toBeUndefined();
  });
});

describe("a worker's endpoint", () => {
  test("is refused, without the token, when the registry's URL is not the one its hive runs it at", async () => {
    const { workers, endpoints } = setUp(() => [hiveWorker("mac-00000001")]);
    workers.register({ ...registrationOf(hiveWorker("mac-00000001")), url: OTHER_URL }, "mac");
    await expect(endpoints.endpoint(workers.require("mac-00000001"))).rejects.toMatchObject({ code: "WORKER_NOT_FOUND" });
    expect(endpoints.hasToken("mac-00000001")).toBe(false);
  });

  test("a token kept for one URL is not used for another: the hive is asked, and refuses it", async () => {
    const { workers, endpoints } = setUp(() => [hiveWorker("mac-00000002")]);
    endpoints.remember("mac-00000002", "worker-api-token", HIVE_URL);
    workers.register({ ...registrationOf(hiveWorker("mac-00000002")), url: OTHER_URL }, "mac");
    await expect(endpoints.endpoint(workers.require("mac-00000002"))).rejects.toMatchObject({ code: "WORKER_NOT_FOUND" });
  });
});

describe("rediscovery", () => {
  test("keeps no token for a worker whose id is registered at another URL, and still adopts the others", async () => {
    const { workers, endpoints, adopt } = setUp(() => [hiveWorker("mac-00000003"), hiveWorker("mac-00000004")]);
    workers.register({ ...registrationOf(hiveWorker("mac-00000003")), url: OTHER_URL }, "mac");
    expect(await adopt()).toBe(true);
    expect(endpoints.hasToken("mac-00000003")).toBe(false);
    expect(workers.get("mac-00000003")?.url).toBe(OTHER_URL);
    expect(endpoints.hasToken("mac-00000004")).toBe(true);
    expect(workers.get("mac-00000004")?.url).toBe(HIVE_URL);
  });
});
