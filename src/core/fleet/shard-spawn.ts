import { RbeeError, type Beehive, type EngineName, type HiveDevices } from "../../shared/contract/index.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { HiveClient } from "../remote/hive-client.js";
import type { HiveHandle } from "../remote/hive-control.js";
import type { NodeConnection } from "../transport/node-connection.js";
import type { NodeAccess } from "./node-access.js";
import type { ProgressSink } from "./progress-sink.js";
import type { ShardSet } from "./shard-sets.js";
import { splitLayers, type SplitMain, type SplitPlan } from "./shard-split.js";
import { openShardTunnel } from "./shard-tunnels.js";
import type { SpawnRequest } from "./spawning.js";

/** What preparing a split needs of the fleet. */
export interface ShardSpawnDeps {
  readonly beehives: BeehiveRegistry;
  readonly access: Pick<NodeAccess, "connect">;
  /** The node's hive, started (and rbee installed first) when needed. */
  readonly startHive: (nodeName: string, progress: ProgressSink) => Promise<HiveHandle>;
  readonly workerThreads?: number | undefined;
}

/** The main node as the split needs it: its connection and its hive. */
export interface SplitMainNode {
  readonly node: Beehive;
  readonly hive: HiveHandle;
}

/** The hive spawn's llama-server fields for a split. */
export interface SplitSpawnFields {
  readonly engine: "llama-server";
  readonly rpc: string[];
  readonly tensor_split: number[];
  readonly gpu_layers: number;
}

/**
 * Prepares a split worker before its hive spawn: on each shard node, the hive (installed and
 * started as for the main node), rpc-server built if the node can build it, an rpc-server started
 * and its tunnel opened to the main node; on the main node, llama-server built if needed; then the
 * split of the layers by free memory. Every part is added to `set` as it starts, so that its
 * owner stops what was started when anything fails; a failure names the node and the step.
 */
export async function prepareShards(
  deps: ShardSpawnDeps,
  request: SpawnRequest & { readonly shards: readonly string[] },
  main: SplitMainNode,
  set: ShardSet,
  progress: ProgressSink,
  signal: AbortSignal,
): Promise<SplitSpawnFields> {
  const mainDevices = await step(main.node.node_name, "reading its devices", () => main.hive.client.devices());
  await step(main.node.node_name, "building llama-server", () => ensureEngine(main.hive.client, mainDevices, "llama-server", main.node.node_name, progress, signal));
  for (const shardName of request.shards) {
    await addShard(deps, request, main.hive.connection, shardName, set, progress, signal);
  }
  const plan = await planSplit(request, main, mainDevices, set.freeBytes(), progress);
  return { engine: "llama-server", rpc: set.rpcAddresses(), tensor_split: [...plan.tensorSplit], gpu_layers: plan.gpuLayers };
}

async function addShard(
  deps: ShardSpawnDeps,
  request: SpawnRequest,
  mainConnection: NodeConnection,
  shardName: string,
  set: ShardSet,
  progress: ProgressSink,
  signal: AbortSignal,
): Promise<void> {
  const node = deps.beehives.get(shardName);
  if (!node) throw new RbeeError("NODE_NOT_FOUND", `Shard node "${shardName}" is not registered`);
  const connection = await step(shardName, "connecting", () => deps.access.connect(node, progress));
  const hive = await step(shardName, "starting its hive", () => deps.startHive(shardName, progress));
  const devices = await step(shardName, "reading its devices", () => hive.client.devices());
  await step(shardName, "building rpc-server", () => ensureEngine(hive.client, devices, "rpc-server", shardName, progress, signal));
  // The shard serves the backend asked for when it has it, else its CPU.
  const backend = devices.backends.includes(request.backend) ? request.backend : "cpu";
  const threads = request.threads ?? deps.workerThreads;
  const server = await step(shardName, "starting rpc-server", () =>
    hive.client.startRpcServer({
      backend,
      device: backend === request.backend ? request.device : 0,
      worker_id: set.workerId,
      ...(threads !== undefined ? { threads } : {}),
    }),
  );
  await set.addServer(shardName, hive.client, server);
  progress({ stage: "shard", message: `rpc-server on ${shardName}: ${gib(server.free_bytes)} free (${server.device_name})` });
  const tunnel = await step(shardName, "opening its tunnel", () =>
    openShardTunnel(mainConnection, connection, server.port, (reason) => set.lose(reason)),
  );
  set.addTunnel(shardName, tunnel);
}

/** The layers' split: by the main node's free memory (its RAM, or its GPU's VRAM) and each rpc-server's. */
async function planSplit(
  request: SpawnRequest,
  main: SplitMainNode,
  devices: HiveDevices,
  shardFreeBytes: readonly number[],
  progress: ProgressSink,
): Promise<SplitPlan> {
  let splitMain: SplitMain;
  let layers: number | undefined;
  if (request.backend === "cpu") {
    splitMain = { kind: "cpu", freeBytes: devices.ram_free_bytes };
    try {
      layers = (await main.hive.client.modelFootprint(request.model_ref))?.layers;
    } catch {
      // The file is not on the node yet (the hive downloads it as it spawns): its layers are unknown.
      layers = undefined;
    }
  } else {
    const gpu = devices.vram.find((candidate) => candidate.backend === request.backend && candidate.device === request.device);
    splitMain = { kind: "gpu", freeBytes: gpu?.free_bytes ?? gpu?.total_bytes ?? 0 };
  }
  const plan = splitLayers({ main: splitMain, shardFreeBytes, layers });
  const shares = plan.tensorSplit.map((share) => `${Math.round(share * 100)}%`).join(" / ");
  progress({
    stage: "shard",
    message:
      plan.mainLayers > 0
        ? `${main.node.node_name} keeps ${plan.mainLayers} of ${(layers ?? 0) + 1} layers; the shards take ${plan.gpuLayers} (${shares})`
        : `The shards take every layer llama.cpp offloads (${shares})`,
  });
  return plan;
}

/** Makes an engine ready on a node: nothing when it is (or the hive does not say), a build when it can be built, ENGINE_UNAVAILABLE when not. */
async function ensureEngine(
  hive: Pick<HiveClient, "buildEngine">,
  devices: HiveDevices,
  engine: EngineName,
  nodeName: string,
  progress: ProgressSink,
  signal: AbortSignal,
): Promise<void> {
  const status = devices.engine_status?.find((candidate) => candidate.engine === engine);
  if (!status || status.state === "ready") return;
  if (status.state === "unavailable") throw new RbeeError("ENGINE_UNAVAILABLE", `${engine} cannot run on ${nodeName}: ${status.detail}`);
  progress({ stage: "build", message: `Building ${engine} on ${nodeName} (once per llama.cpp release)`, fraction: 0 });
  for await (const event of hive.buildEngine(engine, signal)) {
    switch (event.type) {
      case "progress":
        progress({ ...withoutType(event), stage: "build" });
        break;
      case "error":
        throw new RbeeError(event.code, event.message);
      case "engine":
        if (event.status.state !== "ready") throw new RbeeError("ENGINE_UNAVAILABLE", `${engine} cannot run on ${nodeName}: ${event.status.detail}`);
        return;
    }
  }
  throw new RbeeError("ENGINE_UNAVAILABLE", `The build of ${engine} on ${nodeName} ended without saying whether it worked`);
}

/** Runs one step of a split's preparation on a node; its failure says which node and step. */
async function step<T>(nodeName: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if ((error as Error)?.name === "AbortError") throw error;
    const code = error instanceof RbeeError ? error.code : "WORKER_FAILED";
    const message = (error as Error)?.message ?? String(error);
    throw new RbeeError(code, `${nodeName}, ${what}: ${message}`);
  }
}

function withoutType<T extends { readonly type: string }>(event: T): Omit<T, "type"> {
  const { type: _type, ...rest } = event;
  return rest;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
