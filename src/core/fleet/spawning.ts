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
}

/**
 * Spawns a worker on a node, installing rbee there first if needed, and resolves with it
 * registered: the hive's `ready` event carries the worker, so it is admitted from that event.
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
  try {
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
      },
      signal,
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
    if (!registered) deps.lifecycle.admit(registrationOf(ready), node.node_name);
    // Only now, registered at the URL its hive reported: the worker's API token is kept for that URL.
    deps.endpoints.remember(workerId, ready.token ?? spawnedToken, ready.url);
    return deps.workers.require(workerId);
  } catch (error) {
    // A spawn its user gave up (Stop) must not come back later: if its hive starts it anyway, the
    // id is refused at registration and the process stopped.
    void deps.lifecycle.retire(workerId, "spawn-failed", { stopProcess: signal?.aborted === true, nodeName: node.node_name });
    throw error;
  } finally {
    download?.end();
  }
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
