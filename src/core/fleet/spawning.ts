import { randomBytes } from "node:crypto";
import {
  RbeeError,
  type Backend,
  type Engine,
  type HiveWorker,
  type RegisteredWorker,
} from "../../shared/contract/index.js";
import type { CallbackTokens } from "../callback-tokens.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { WorkerRegistry } from "../registry/worker-registry.js";
import type { HiveHandle } from "../remote/hive-control.js";
import { registrationOf } from "./hive-worker-registration.js";
import type { NodeAccess } from "./node-access.js";
import type { ProgressSink } from "./progress-sink.js";
import type { WorkerEndpoints } from "./worker-endpoints.js";
import type { WorkerLifecycle } from "./worker-lifecycle.js";
import type { ModelTransfers, TransferHandle } from "../models/model-transfers.js";
import type { ShardSet, ShardSets } from "./shard-sets.js";
import { prepareShards, type SplitSpawnFields } from "./shard-spawn.js";

/** A worker to start: which model, on which node and device. */
export interface SpawnRequest {
  readonly node_name: string;
  readonly model_ref: string;
  readonly backend: Backend;
  readonly device: number;
  readonly slots?: number | undefined;
  readonly ctx?: number | undefined;
  /** CPU threads of the worker; default RBEE_WORKER_THREADS, else the worker's own choice. */
  readonly threads?: number | undefined;
  /** Default node-llama-cpp; llama-server when `shards` are given. */
  readonly engine?: Engine | undefined;
  /** Other nodes holding part of the model (llama.cpp RPC): `node_name` runs llama-server. */
  readonly shards?: readonly string[] | undefined;
}

/** What a spawn needs. */
export interface SpawnDeps {
  readonly beehives: BeehiveRegistry;
  readonly workers: WorkerRegistry;
  readonly callbackTokens: CallbackTokens;
  readonly access: NodeAccess;
  readonly endpoints: WorkerEndpoints;
  readonly lifecycle: WorkerLifecycle;
  /** Installs rbee on a node that lacks it. */
  readonly install: (nodeName: string, progress: ProgressSink) => Promise<unknown>;
  /** Threads per worker (`--threads`); default: the worker's own choice. */
  readonly workerThreads?: number | undefined;
  /** Puts the model on the node from another node that has it (a copy) before the hive would download it. */
  readonly bringModel?: ((nodeName: string, modelRef: string, progress: ProgressSink, signal: AbortSignal) => Promise<void>) | undefined;
  /** Where a download the spawn makes shows while it runs. */
  readonly transfers?: ModelTransfers | undefined;
  /** The owner of split workers' rpc-servers and tunnels; a spawn with shards needs it. */
  readonly shardSets?: ShardSets | undefined;
}

/**
 * Spawns a worker on a node, installing rbee there first if needed, and resolves with it
 * registered: the hive's `ready` event carries the worker, so it is admitted from that event.
 * With `shards`, the model is split: rpc-servers on the shard nodes, tunnelled to the main node,
 * which runs llama-server over them (see shard-spawn.ts); the worker is registered once, with its
 * shards, and anything started is stopped again if the spawn fails.
 */
export async function spawnWorker(
  deps: SpawnDeps,
  request: SpawnRequest,
  progress: ProgressSink,
  signal?: AbortSignal,
): Promise<RegisteredWorker> {
  const node = deps.beehives.require(request.node_name);
  await deps.access.connect(node, progress);
  const hive = await startOrInstall(deps, node.node_name, progress);
  if (deps.bringModel) await deps.bringModel(node.node_name, request.model_ref, progress, signal ?? new AbortController().signal);
  const workerId = `${node.node_name}-${randomBytes(4).toString("hex")}`;
  const callbackToken = deps.callbackTokens.issue(workerId, node.node_name);
  let download: TransferHandle | undefined;
  const shardNames = request.shards ?? [];
  let shards: ShardSet | undefined;
  try {
    let split: SplitSpawnFields | undefined;
    if (shardNames.length > 0) {
      if (!deps.shardSets) throw new RbeeError("INTERNAL", "This queen cannot split a model across nodes");
      if (request.engine === "node-llama-cpp") throw new RbeeError("INVALID_REQUEST", "A model split across nodes runs on llama-server, not node-llama-cpp");
      shards = deps.shardSets.begin(workerId, node.node_name);
      split = await prepareShards(
        {
          beehives: deps.beehives,
          access: deps.access,
          startHive: (nodeName, sink) => startOrInstall(deps, nodeName, sink),
          workerThreads: deps.workerThreads,
        },
        { ...request, shards: shardNames },
        { node, hive },
        shards,
        progress,
        anySignal(signal, shards.lostSignal),
      );
    }
    let ready: HiveWorker | undefined;
    let spawnedToken: string | undefined;
    for await (const event of hive.client.spawn(
      {
        model_ref: request.model_ref,
        backend: request.backend,
        device: request.device,
        worker_id: workerId,
        callback_token: callbackToken,
        ...(request.slots ? { slots: request.slots } : {}),
        ...(request.ctx ? { ctx: request.ctx } : {}),
        ...((request.threads ?? deps.workerThreads) ? { threads: request.threads ?? deps.workerThreads } : {}),
        ...(request.engine ? { engine: request.engine } : {}),
        ...split,
      },
      shards ? anySignal(signal, shards.lostSignal) : signal,
    )) {
      switch (event.type) {
        case "progress":
          if (event.stage === "download" && event.bytes !== undefined && deps.transfers) {
            download ??= deps.transfers.track({ kind: "download", node_name: node.node_name, model_ref: request.model_ref });
            download.update(event.bytes, event.bytes_total);
          } else {
            download?.end();
          }
          progress(event);
          break;
        case "spawned":
          spawnedToken = event.token;
          break;
        case "error":
          throw new RbeeError(event.code, event.message);
        case "ready":
          ready = event.worker;
          progress({ stage: "loading", message: `Worker loaded on ${node.node_name}` });
          break;
      }
    }
    if (ready?.id !== workerId) throw new RbeeError("WORKER_FAILED", `The hive on ${node.node_name} ended the spawn of ${workerId} before it was ready`);
    // The hive's relay sends the same registration, maybe later: whichever comes first registers it.
    const registered = deps.workers.get(workerId);
    if (registered && registered.url !== ready.url) {
      throw new RbeeError("WORKER_CONFLICT", `Worker ${workerId} was registered at ${registered.url}, but its hive runs it at ${ready.url}`);
    }
    // What each shard holds once loaded, read before admission, so that the worker shows with it from the start.
    const shardBytes = await shards?.refreshBytes();
    if (shards?.lost) throw shards.lost;
    if (!registered) deps.lifecycle.admit(registration(ready, split), node.node_name);
    if (shardBytes) deps.workers.setShards(workerId, shardBytes);
    // Only now, registered at the URL its hive reported: the worker's API token is kept for that URL.
    deps.endpoints.remember(workerId, ready.token ?? spawnedToken, ready.url);
    return deps.workers.require(workerId);
  } catch (error) {
    // A shard lost under way is why the spawn ended, whatever the hive's stream said after.
    const failure = shards?.lost ?? error;
    // A spawn its user gave up (Stop) must not come back later: if its hive starts it anyway, the
    // id is refused at registration and the process stopped. A split's shards are stopped before
    // the error is told: what the spawn started is gone when its caller hears it failed.
    const retired = deps.lifecycle.retire(workerId, "spawn-failed", {
      stopProcess: signal?.aborted === true || shards !== undefined,
      nodeName: node.node_name,
    });
    if (shards) await Promise.all([retired, deps.shardSets?.release(workerId)]);
    throw failure;
  } finally {
    download?.end();
  }
}

/** A worker's registration from its hive's ready event; a split one runs on llama-server, whatever the hive's older view says. */
function registration(ready: HiveWorker, split: SplitSpawnFields | undefined) {
  const request = registrationOf(ready);
  return split ? { ...request, engine: split.engine } : request;
}

function anySignal(signal: AbortSignal | undefined, other: AbortSignal): AbortSignal {
  return signal ? AbortSignal.any([signal, other]) : other;
}

async function startOrInstall(deps: SpawnDeps, nodeName: string, progress: ProgressSink): Promise<HiveHandle> {
  const node = deps.beehives.require(nodeName);
  try {
    return await deps.access.startHive(node, progress);
  } catch (error) {
    if (!(error instanceof RbeeError && error.code === "NOT_INSTALLED")) throw error;
    await deps.install(nodeName, progress);
    return deps.access.startHive(node, progress);
  }
}
