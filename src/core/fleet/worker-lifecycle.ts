import { RbeeError, type RegisterWorkerRequest, type RegisteredWorker } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import type { CallbackTokens } from "../callback-tokens.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { RegisterOutcome, WorkerRegistry } from "../registry/worker-registry.js";
import type { HiveControl } from "../remote/hive-control.js";
import type { WorkerEndpoints } from "./worker-endpoints.js";

/** Why a worker leaves the registry. */
export type RetireReason = "stopped" | "expired" | "gone" | "node-removed" | "spawn-failed" | "shard-lost";

const REASON_WORDS: Readonly<Record<RetireReason, string>> = {
  stopped: "stopped",
  expired: "it missed its heartbeats",
  gone: "it no longer runs on its node",
  "node-removed": "its node was removed",
  "spawn-failed": "its spawn failed",
  "shard-lost": "a node holding part of its model went away",
};

/** How a worker is retired. */
export interface RetireOptions {
  /** Stop its process on its node too (best effort), and refuse its registration from then on. */
  readonly stopProcess: boolean;
  /** Its node, when the registry no longer has the worker. */
  readonly nodeName?: string | undefined;
  /** What its running jobs end with now, rather than with whatever its stopping process says (SHARD_LOST). */
  readonly error?: RbeeError | undefined;
}

/** A worker leaving the registry, told before its process is stopped. */
export interface RetiredWorker {
  readonly workerId: string;
  readonly reason: RetireReason;
  readonly error?: RbeeError | undefined;
}

/**
 * The one owner of a worker's admission to and removal from the registry: admission refuses a
 * worker this queen stopped; removal drops it from the registry, revokes its callback token and
 * forgets its API token, and optionally stops its process. Every removal path goes through `retire`.
 */
export class WorkerLifecycle {
  /** Ids of workers this queen stopped (ids are never reused: they carry random bytes). */
  private readonly stopped = new Set<string>();
  private readonly retired = new Emitter<RetiredWorker>();

  /** Fires as a worker is retired, before its process and its shards are stopped (its jobs can be ended first). */
  readonly onDidRetire = (listener: (worker: RetiredWorker) => void) => this.retired.on(listener);

  constructor(
    private readonly deps: {
      readonly beehives: BeehiveRegistry;
      readonly workers: WorkerRegistry;
      readonly callbackTokens: CallbackTokens;
      readonly endpoints: Pick<WorkerEndpoints, "forget">;
      readonly hives: Pick<HiveControl, "attach">;
      readonly log: (message: string) => void;
      /** A split worker's rpc-servers and tunnels, released with it. */
      readonly shards?: { release(workerId: string): Promise<void> } | undefined;
    },
  ) {}

  /**
   * Registers a worker's ready callback for a node. A worker this queen stopped must not come back
   * (it may be shutting down, or it ran on a node that was unreachable when it was stopped): it is
   * stopped again and refused with WORKER_CONFLICT.
   */
  admit(request: RegisterWorkerRequest, nodeName: string | undefined): RegisterOutcome {
    if (this.stopped.has(request.worker_id)) {
      if (nodeName) void this.stopProcess(request.worker_id, nodeName);
      throw new RbeeError("WORKER_CONFLICT", `Worker "${request.worker_id}" was stopped`);
    }
    if (!nodeName) {
      throw new RbeeError("INVALID_REQUEST", "node_name is required with the queen token", [
        { field: "node_name", message: "required" },
      ]);
    }
    return this.deps.workers.register(request, nodeName);
  }

  /** Whether this queen stopped the worker (it may not register again). */
  wasStopped(workerId: string): boolean {
    return this.stopped.has(workerId);
  }

  /**
   * Removes a worker and every token that speaks for it, at once; then, when asked, stops its
   * process on its node, and then its shards' rpc-servers and tunnels, if it has any (the returned
   * promise settles after that, never rejecting).
   */
  async retire(workerId: string, reason: RetireReason, options: RetireOptions): Promise<void> {
    const nodeName = this.deps.workers.get(workerId)?.node_name ?? options.nodeName;
    if (options.stopProcess) this.stopped.add(workerId);
    this.retired.fire({ workerId, reason, error: options.error });
    const removed = this.deps.workers.remove(workerId);
    this.deps.callbackTokens.revoke(workerId);
    this.deps.endpoints.forget(workerId);
    if (removed) this.deps.log(`worker ${workerId} removed: ${REASON_WORDS[reason]}`);
    if (options.stopProcess && nodeName) await this.stopProcess(workerId, nodeName);
    // After the process: llama-server stopped first does not crash on its shards going away.
    await this.deps.shards?.release(workerId).catch((error: unknown) => this.deps.log(`releasing the shards of ${workerId}: ${(error as Error).message}`));
  }

  /** Asks the worker's hive whether it still runs; retires it at once if not. */
  async forgetIfGone(worker: RegisteredWorker): Promise<void> {
    const node = this.deps.beehives.get(worker.node_name);
    if (!node) return;
    try {
      const hive = await this.deps.hives.attach(node);
      const running = hive ? (await hive.client.listWorkers()).some((w) => w.id === worker.id) : false;
      if (!running) await this.retire(worker.id, "gone", { stopProcess: false });
    } catch (error) {
      this.deps.log(`checking worker ${worker.id} on ${worker.node_name}: ${(error as Error).message}`);
    }
  }

  /** Stops a worker's process on its node; best effort when the node cannot be reached. */
  private async stopProcess(workerId: string, nodeName: string): Promise<void> {
    const node = this.deps.beehives.get(nodeName);
    if (!node) return;
    try {
      // Attach only: a node without a running hive has no running workers either.
      const hive = await this.deps.hives.attach(node);
      await hive?.client.stopWorker(workerId);
    } catch (error) {
      this.deps.log(`stopping worker ${workerId} on ${nodeName}: ${(error as Error).message}`);
    }
  }
}
