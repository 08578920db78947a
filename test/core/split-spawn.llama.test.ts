// A spawn with shards, on the queen's side: rpc-servers started on the shard nodes, tunnelled to
// the main node, llama-server started there over them with the split of the layers; the worker
// registered once with its shards; a lost shard, a stop or a failure midway leaves nothing running.
//
// The hives are stand-ins, named as such: their rpc-server and build routes are another branch's
// (i19-hive). They run the real programs those routes run: `ggml-rpc-server` for /v1/rpc/start and
// `llama-server` (with the queen's --rpc, --tensor-split and --n-gpu-layers) for the spawn, on
// this machine's loopback, reached through real tunnels (the nodes are this computer's
// connection, so the tunnels' ports are plain loopback listeners).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { CallbackTokens } from "../../src/core/callback-tokens.js";
import { ShardSets } from "../../src/core/fleet/shard-sets.js";
import { spawnWorker, type SpawnDeps, type SpawnRequest } from "../../src/core/fleet/spawning.js";
import { WorkerEndpoints } from "../../src/core/fleet/worker-endpoints.js";
import { WorkerLifecycle } from "../../src/core/fleet/worker-lifecycle.js";
import { BeehiveRegistry } from "../../src/core/registry/beehive-registry.js";
import { WorkerRegistry } from "../../src/core/registry/worker-registry.js";
import { LocalNodeConnection } from "../../src/core/transport/local-connection.js";
import { findLlamaProgram } from "../../src/node-common/llama-cpp-binaries.js";
import {
  RbeeError,
  type EngineStatus,
  type HiveBuildStreamEvent,
  type HiveDevices,
  type HiveRpcServer,
  type HiveSpawnRequest,
  type HiveSpawnStreamEvent,
  type ProgressEvent,
  type RpcServerStartRequest,
} from "../../src/shared/contract/index.js";
import { listeningSockets } from "../helpers/listening-sockets.js";
import { alive } from "../helpers/process-tree.js";
import { spawnProcess, type RunningProcess } from "../helpers/process.js";
import { freePort } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { until } from "../helpers/until.js";

const GiB = 1024 ** 3;
const LOSS_DEADLINE_MS = 2_000;
/** What the stand-in hives say each rpc-server holds once loaded (the real hive reads it from rpc-server's log). */
const LOADED_BYTES = 123_456;

let dir: string;
let model: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-split-spawn-"));
  model = join(dir, "tiny.gguf");
  await writeTinyGguf(model, { blocks: 8, text: "printable" });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function program(name: "rpc-server" | "llama-server"): string {
  const found = findLlamaProgram(name, "cpu");
  if (!found) throw new Error(`${name} is not built: run scripts/build-llama.sh (it builds into ~/.cache/rbee/llama.cpp)`);
  return found.path;
}

/** How a stand-in hive behaves. */
interface HiveSetup {
  ramFreeBytes?: number;
  rpcFreeBytes?: number;
  rpcEngine?: EngineStatus["state"];
  failRpcStart?: boolean;
}

const node = (name: string) => ({
  node_name: name,
  ssh_host: "rbee-test.invalid",
  ssh_port: 22,
  ssh_user: "u",
  git_repo_url: "file:///tmp/r.git",
  git_branch: "main",
  install_path: "/tmp/x",
});

/** A stand-in hive on one node: real rpc-servers and a real llama-server, recorded. */
function standInHive(nodeName: string, setup: HiveSetup) {
  const rpcServers = new Map<string, { server: HiveRpcServer; process: RunningProcess }>();
  const workers = new Map<string, RunningProcess>();
  const spawns: HiveSpawnRequest[] = [];
  const builds: string[] = [];
  const stoppedRpc: string[] = [];
  const client = {
    async devices(): Promise<HiveDevices> {
      return {
        backends: ["cpu"],
        devices: { cpu: 1 },
        ram_bytes: 16 * GiB,
        ...(setup.ramFreeBytes !== undefined ? { ram_free_bytes: setup.ramFreeBytes } : {}),
        vram: [],
        engine_status: [
          { engine: "llama-server", state: "ready", detail: "built" },
          { engine: "rpc-server", state: setup.rpcEngine ?? "ready", detail: setup.rpcEngine === "unavailable" ? "install cmake and a C++ compiler" : "built" },
        ],
      };
    },
    async *buildEngine(engine: string): AsyncGenerator<HiveBuildStreamEvent> {
      builds.push(engine);
      yield { type: "progress", stage: "build", message: "compiling ggml", fraction: 0.5 };
      setup.rpcEngine = "ready";
      yield { type: "engine", status: { engine: "rpc-server", state: "ready", detail: "built" } };
    },
    async startRpcServer(body: RpcServerStartRequest): Promise<HiveRpcServer> {
      if (setup.failRpcStart) throw new RbeeError("WORKER_FAILED", "ggml-rpc-server exited at once (code 1)");
      const port = await freePort();
      const process = spawnProcess(program("rpc-server"), ["-H", "127.0.0.1", "-p", String(port), "-t", "1"]);
      await until(() => listeningSockets([process.pid]).some((socket) => socket.port === port), "ggml-rpc-server to listen", 15_000);
      const server: HiveRpcServer = {
        id: `rpc-${nodeName}-${rpcServers.size + 1}`,
        pid: process.pid,
        port,
        backend: "cpu",
        device: 0,
        device_name: "CPU",
        free_bytes: setup.rpcFreeBytes ?? 4 * GiB,
        total_bytes: 8 * GiB,
        buffer_bytes: 0,
        tensors: 0,
        ...(body.worker_id ? { worker_id: body.worker_id } : {}),
      };
      rpcServers.set(server.id, { server, process });
      return server;
    },
    async stopRpcServer(id: string): Promise<void> {
      stoppedRpc.push(id);
      await rpcServers.get(id)?.process.stop();
      rpcServers.delete(id);
    },
    async listRpcServers(): Promise<HiveRpcServer[]> {
      return [...rpcServers.values()].map(({ server }) => ({ ...server, buffer_bytes: LOADED_BYTES, tensors: 10 }));
    },
    async modelFootprint(modelRef: string) {
      return { model_ref: modelRef, weights_bytes: 1_400_000, layers: 8, context_length: 256, kv_bytes_per_token: 4096 };
    },
    async *spawn(request: HiveSpawnRequest): AsyncGenerator<HiveSpawnStreamEvent> {
      spawns.push(request);
      const port = await freePort();
      const args = ["-m", model, "--host", "127.0.0.1", "--port", String(port), "-t", "1", "-c", "512", "-np", "1"];
      if (request.rpc) args.push("--rpc", request.rpc.join(","));
      if (request.gpu_layers !== undefined && request.gpu_layers !== null) args.push("--n-gpu-layers", String(request.gpu_layers));
      if (request.tensor_split) args.push("--tensor-split", request.tensor_split.join(","));
      const llama = spawnProcess(program("llama-server"), args);
      workers.set(request.worker_id!, llama);
      yield { type: "spawned", worker_id: request.worker_id!, url: `http://127.0.0.1:${port}`, pid: llama.pid, state: "loading", token: "worker-api-token" };
      await Promise.race([llama.waitForLine(/listening on http/, { stream: "stderr" }), llama.waitForLine(/listening on http/)]);
      yield {
        type: "ready",
        worker: {
          id: request.worker_id!,
          pid: llama.pid,
          url: `http://127.0.0.1:${port}`,
          model_ref: request.model_ref,
          backend: "cpu",
          device: 0,
          state: "idle",
          slots_total: 1,
          slots_available: 1,
          engine: "llama-server",
        },
      };
    },
    async stopWorker(workerId: string): Promise<void> {
      await workers.get(workerId)?.stop(1_000);
    },
    async listWorkers() {
      return [];
    },
  };
  return { client, rpcServers, workers, spawns, builds, stoppedRpc };
}

type StandInHive = ReturnType<typeof standInHive>;

/** The queen's side as the fleet wires it, over this computer's connections and stand-in hives. */
function world(setups: Record<string, HiveSetup>) {
  const beehives = new BeehiveRegistry(join(dir, `beehives-${Math.random().toString(16).slice(2)}.db`));
  const hives = new Map<string, StandInHive>();
  const connections = new Map<string, LocalNodeConnection>();
  for (const [name, setup] of Object.entries(setups)) {
    beehives.add(node(name), "ready");
    hives.set(name, standInHive(name, setup));
    connections.set(name, new LocalNodeConnection(name, { home: dir, installPath: dir }));
  }
  const handle = (name: string) => ({ client: hives.get(name)!.client, connection: connections.get(name)!, pid: 1, port: 1 });
  const workers = new WorkerRegistry();
  const callbackTokens = new CallbackTokens();
  const logs: string[] = [];
  const endpoints = new WorkerEndpoints({ beehives, workers, hives: { ensure: () => Promise.reject(new Error("unused")) }, connections: { get: () => Promise.reject(new Error("unused")) } });
  const lifecycleRef: { current?: WorkerLifecycle } = {};
  const shardSets = new ShardSets({
    onLost: (workerId, mainNode, error) => void lifecycleRef.current!.retire(workerId, "shard-lost", { stopProcess: true, nodeName: mainNode, error }),
    log: (message) => logs.push(message),
  });
  const lifecycle = new WorkerLifecycle({
    beehives,
    workers,
    callbackTokens,
    endpoints,
    hives: { attach: async (n) => handle(n.node_name) as never },
    log: (message) => logs.push(message),
    shards: shardSets,
  });
  lifecycleRef.current = lifecycle;
  const deps = {
    beehives,
    workers,
    callbackTokens,
    endpoints,
    lifecycle,
    shardSets,
    access: { connect: async (n: { node_name: string }) => connections.get(n.node_name)!, startHive: async (n: { node_name: string }) => handle(n.node_name) },
    install: async () => {},
    workerThreads: 1,
  } as unknown as SpawnDeps;
  const progress: Omit<ProgressEvent, "type">[] = [];
  const spawn = (request: Partial<SpawnRequest> & { shards: string[] }) =>
    spawnWorker(deps, { node_name: "main-a", model_ref: `file:${model}`, backend: "cpu", device: 0, ...request }, (event) => progress.push(event));
  const everything = () => [...hives.values()].flatMap((hive) => [...hive.rpcServers.values()].map((entry) => entry.process));
  return { beehives, hives, workers, lifecycle, shardSets, spawn, progress, logs, everything, close: () => beehives.close() };
}

/** Whether anything still listens on a tunnel's port. */
const listening = (address: string) => listeningSockets([process.pid]).some((socket) => `127.0.0.1:${socket.port}` === address);

let current: ReturnType<typeof world> | undefined;
beforeEach(() => {
  current = undefined;
});
afterEach(async () => {
  if (!current) return;
  for (const hive of current.hives.values()) {
    await Promise.all([...hive.workers.values(), ...[...hive.rpcServers.values()].map((entry) => entry.process)].map((p) => p.stop()));
  }
  current.close();
});

describe("a spawn with shards", () => {
  test("starts an rpc-server per shard, tunnels it to the main node, runs llama-server over the tunnels with the split, and registers the worker once with its shards", async () => {
    const w = (current = world({ "main-a": { ramFreeBytes: 2 * GiB }, "shard-b": { rpcFreeBytes: 4 * GiB, rpcEngine: "buildable" }, "shard-c": { rpcFreeBytes: 2 * GiB } }));
    const worker = await w.spawn({ shards: ["shard-b", "shard-c"] });

    const main = w.hives.get("main-a")!;
    expect(main.spawns).toHaveLength(1);
    const asked = main.spawns[0]!;
    // 8 layers + output = 9; main-a has 2 of 2 + 4 + 2 GiB free: it keeps 2, the shards take 7 (4 : 2).
    expect(asked).toMatchObject({ engine: "llama-server", gpu_layers: 7, tensor_split: [0.6667, 0.3333], threads: 1, worker_id: worker.id });
    expect(asked.rpc).toHaveLength(2);
    for (const address of asked.rpc!) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    // llama-server reached both rpc-servers through the tunnels (each rpc-server took its connection).
    for (const name of ["shard-b", "shard-c"]) {
      const rpc = [...w.hives.get(name)!.rpcServers.values()][0]!.process;
      await until(() => rpc.stdout().includes("Accepted client connection"), `llama-server to reach the rpc-server on ${name}`);
    }
    expect(w.hives.get("shard-b")!.builds).toEqual(["rpc-server"]);
    expect(w.hives.get("shard-c")!.builds).toEqual([]);

    expect(worker).toMatchObject({
      node_name: "main-a",
      engine: "llama-server",
      shards: [
        { node_name: "shard-b", device: "CPU", bytes: LOADED_BYTES },
        { node_name: "shard-c", device: "CPU", bytes: LOADED_BYTES },
      ],
    });
    expect(w.workers.list()).toEqual([worker]);
    const stages = w.progress.map((event) => `${event.stage}: ${event.message}`);
    expect(stages).toEqual(expect.arrayContaining([
      "build: compiling ggml",
      "shard: rpc-server on shard-b: 4.0 GiB free (CPU)",
      "shard: rpc-server on shard-c: 2.0 GiB free (CPU)",
    ]));
    expect(w.progress.find((event) => event.stage === "build" && event.fraction === 0.5)).toBeDefined();
  });

  test("losing a shard removes the worker within 2 s and stops its llama-server, the other shards' rpc-servers and the tunnels", async () => {
    const w = (current = world({ "main-a": { ramFreeBytes: 1 * GiB }, "shard-b": {}, "shard-c": {} }));
    const worker = await w.spawn({ shards: ["shard-b", "shard-c"] });
    const addresses = w.hives.get("main-a")!.spawns[0]!.rpc!;
    expect(addresses.every(listening)).toBe(true);
    const llama = w.hives.get("main-a")!.workers.get(worker.id)!;
    const lost = [...w.hives.get("shard-b")!.rpcServers.values()][0]!.process;
    const other = [...w.hives.get("shard-c")!.rpcServers.values()][0]!.process;
    await until(() => lost.stdout().includes("Accepted client connection"), "llama-server to reach shard-b");

    const killedAt = Date.now();
    lost.child.kill("SIGKILL");
    await until(() => w.workers.get(worker.id) === undefined, "the worker to be removed", LOSS_DEADLINE_MS);
    expect(Date.now() - killedAt).toBeLessThan(LOSS_DEADLINE_MS);
    expect(w.logs.join("\n")).toMatch(/shard-b.*worker .* on main-a is stopped/);

    await llama.waitForExit();
    await other.waitForExit();
    await until(() => !addresses.some(listening), "the tunnels to close");
    expect(w.hives.get("shard-c")!.stoppedRpc).toHaveLength(1);
    expect(w.shardSets.workerIds()).toEqual([]);
  });

  test("stopping the worker stops its llama-server and rpc-servers and closes its tunnels", async () => {
    const w = (current = world({ "main-a": { ramFreeBytes: 1 * GiB }, "shard-b": {} }));
    const worker = await w.spawn({ shards: ["shard-b"] });
    const addresses = w.hives.get("main-a")!.spawns[0]!.rpc!;
    const llama = w.hives.get("main-a")!.workers.get(worker.id)!;
    const rpc = [...w.hives.get("shard-b")!.rpcServers.values()][0]!.process;

    await w.lifecycle.retire(worker.id, "stopped", { stopProcess: true });
    expect(w.workers.list()).toEqual([]);
    expect(alive(llama.pid)).toBe(false);
    expect(alive(rpc.pid)).toBe(false);
    expect(addresses.some(listening)).toBe(false);
    // Stopped on purpose: no loss is reported afterwards.
    expect(w.logs.join("\n")).not.toMatch(/rpc-server on shard-b|is stopped/);
  });

  test("a failure midway names the node and the step and stops what was started; no worker is registered", async () => {
    const w = (current = world({ "main-a": {}, "shard-b": {}, "shard-c": { failRpcStart: true } }));
    const before = listeningSockets([process.pid]).length;
    const failure = await w.spawn({ shards: ["shard-b", "shard-c"] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RbeeError);
    expect(failure).toMatchObject({ code: "WORKER_FAILED", message: "shard-c, starting rpc-server: ggml-rpc-server exited at once (code 1)" });
    expect(w.hives.get("main-a")!.spawns).toEqual([]);
    expect(w.hives.get("shard-b")!.stoppedRpc).toHaveLength(1);
    expect(w.everything().every((p) => !alive(p.pid))).toBe(true);
    // shard-b's tunnel port no longer listens.
    expect(listeningSockets([process.pid]).length).toBe(before);
    expect(w.workers.list()).toEqual([]);
    expect(w.shardSets.workerIds()).toEqual([]);
  });

  test("a shard that cannot run rpc-server: ENGINE_UNAVAILABLE naming it, with what to install", async () => {
    const w = (current = world({ "main-a": {}, "shard-b": { rpcEngine: "unavailable" } }));
    await expect(w.spawn({ shards: ["shard-b"] })).rejects.toMatchObject({
      code: "ENGINE_UNAVAILABLE",
      message: "shard-b, building rpc-server: rpc-server cannot run on shard-b: install cmake and a C++ compiler",
    });
    expect(w.hives.get("shard-b")!.rpcServers.size).toBe(0);
  });

  test("an unknown shard node: NODE_NOT_FOUND before anything starts", async () => {
    const w = (current = world({ "main-a": {} }));
    await expect(w.spawn({ shards: ["nowhere"] })).rejects.toMatchObject({ code: "NODE_NOT_FOUND", message: expect.stringContaining("nowhere") });
    expect(w.hives.get("main-a")!.spawns).toEqual([]);
  });
});
