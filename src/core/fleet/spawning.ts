import { randomBytes } from "node:crypto";
import {
  ErrorCode,
  RbeeError,
  type Backend,
  type RegisteredWorker,
} from "../../shared/contract/index.js";
import type { CallbackTokens } from "../callback-tokens.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { WorkerRegistry } from "../registry/worker-registry.js";
import type { HiveHandle } from "../remote/hive-control.js";
import type { NodeAccess } from "./node-access.js";
import type { ProgressSink } from "./progress-sink.js";
import type { WorkerEndpoints } from "./worker-endpoints.js";
import type { WorkerLifecycle } from "./worker-lifecycle.js";

/** A worker to start: which model, on which node and device. */
export interface SpawnRequest {
  readonly node_name: string;
  readonly model_ref: string;
  readonly backend: Backend;
  readonly device: number;
  readonly slots?: number | undefined;
  readonly ctx?: number | undefined;
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
}

/** How long a worker may take between "ready at its hive" and its registration reaching the queen. */
const REGISTRATION_TIMEOUT_MS = 15_000;

/** Spawns a worker on a node, installing rbee there first if needed; resolves once it is registered. */
export async function spawnWorker(
  deps: SpawnDeps,
  request: SpawnRequest,
  progress: ProgressSink,
  signal?: AbortSignal,
): Promise<RegisteredWorker> {
  const node = deps.beehives.require(request.node_name);
  await deps.access.connect(node, progress);
  const hive = await startOrInstall(deps, node.node_name, progress);
  const workerId = `${node.node_name}-${randomBytes(4).toString("hex")}`;
  const callbackToken = deps.callbackTokens.issue(workerId, node.node_name);
  try {
    for await (const event of hive.client.spawn(
      {
        model_ref: request.model_ref,
        backend: request.backend,
        device: request.device,
        worker_id: workerId,
        callback_token: callbackToken,
        ...(request.slots ? { slots: request.slots } : {}),
        ...(request.ctx ? { ctx: request.ctx } : {}),
        ...(deps.workerThreads ? { threads: deps.workerThreads } : {}),
      },
      signal,
    )) {
      switch (event.type) {
        case "progress":
          progress(event);
          break;
        case "spawned":
          deps.endpoints.remember(workerId, event.token);
          break;
        case "error":
          throw new RbeeError(asErrorCode(event.code), event.message);
        case "ready":
          deps.endpoints.remember(workerId, event.worker.token);
          break;
      }
    }
    progress({ stage: "loading", message: "Worker loaded; waiting for its registration" });
    return await waitForRegistration(deps.workers, workerId, signal);
  } catch (error) {
    void deps.lifecycle.retire(workerId, "spawn-failed", { stopProcess: false });
    throw error;
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

/** Resolves once the worker's registration reached the queen (it may already have). */
function waitForRegistration(workers: WorkerRegistry, workerId: string, signal?: AbortSignal): Promise<RegisteredWorker> {
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      dispose();
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const check = (): void => {
      const worker = workers.get(workerId);
      if (worker && worker.state !== "loading") {
        finish();
        resolve(worker);
      }
    };
    const onAbort = (): void => {
      finish();
      reject(new RbeeError("WORKER_FAILED", "Cancelled while the worker was starting"));
    };
    const dispose = workers.onDidChange(check);
    const timer = setTimeout(() => {
      finish();
      reject(new RbeeError("WORKER_FAILED", `Worker ${workerId} is ready on its node but its registration never reached the queen`));
    }, REGISTRATION_TIMEOUT_MS);
    signal?.addEventListener("abort", onAbort);
    check();
  });
}

function asErrorCode(code: string): ErrorCode {
  const parsed = ErrorCode.safeParse(code);
  return parsed.success ? parsed.data : "WORKER_FAILED";
}
