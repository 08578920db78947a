import { RbeeError, type RegisteredWorker } from "../../shared/contract/index.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { WorkerRegistry } from "../registry/worker-registry.js";
import type { HiveControl } from "../remote/hive-control.js";
import type { NodeConnections } from "../ssh/node-connections.js";

/** Where and how to call one worker's API from this machine. */
export interface WorkerEndpoint {
  readonly baseUrl: string;
  readonly token: string;
}

/** A worker's API token and the URL its hive reported it with. */
interface KnownToken {
  readonly token: string;
  readonly url: string | undefined;
}

/**
 * The workers' own API tokens (each hive makes one per worker), and the way to a worker's API:
 * a local forward through its node's SSH connection. A token goes only to the URL its hive reported
 * for that worker: a registration at another URL (anyone on the node can open a port) gets nothing.
 */
export class WorkerEndpoints {
  private readonly tokens = new Map<string, KnownToken>();

  constructor(
    private readonly deps: {
      readonly beehives: BeehiveRegistry;
      readonly workers: Pick<WorkerRegistry, "get">;
      readonly hives: Pick<HiveControl, "ensure">;
      readonly connections: Pick<NodeConnections, "get">;
    },
  ) {}

  /**
   * Keeps a worker's API token, as its hive reported it with the worker's URL. Call it once the
   * worker is registered at that URL; a token kept without one is checked with the hive before use.
   */
  remember(workerId: string, token: string | undefined, url?: string): void {
    if (token) this.tokens.set(workerId, { token, url });
  }

  /** Drops a worker's API token (the worker is retired). */
  forget(workerId: string): void {
    this.tokens.delete(workerId);
  }

  /** Whether this queen holds the worker's API token. */
  hasToken(workerId: string): boolean {
    return this.tokens.has(workerId);
  }

  /** How to reach a worker's API; its token is asked of its hive when not known for the URL it is registered at. */
  async endpoint(worker: RegisteredWorker): Promise<WorkerEndpoint> {
    const node = this.deps.beehives.get(worker.node_name);
    if (!node) throw new RbeeError("WORKER_FAILED", `Worker ${worker.id} is on "${worker.node_name}", which is not a registered node`);
    const known = this.tokens.get(worker.id);
    let token = known?.url === worker.url ? known.token : undefined;
    if (!token) {
      const hive = await this.deps.hives.ensure(node);
      const running = (await hive.client.listWorkers()).find((w) => w.id === worker.id);
      if (!running?.token) throw new RbeeError("WORKER_NOT_FOUND", `Worker ${worker.id} is no longer running on ${worker.node_name}`);
      // Not the worker its hive runs: whoever registered that URL gets neither the token nor the job.
      if (running.url !== worker.url) {
        throw new RbeeError("WORKER_NOT_FOUND", `Worker ${worker.id} is registered at ${worker.url}, but its hive runs it at ${running.url}`);
      }
      token = running.token;
      // Not kept for a worker retired meanwhile: its retirement already dropped its token.
      if (this.deps.workers.get(worker.id)?.url === running.url) this.tokens.set(worker.id, { token, url: running.url });
    }
    const connection = await this.deps.connections.get(node.node_name);
    const localPort = await connection.localPortFor(Number(new URL(worker.url).port));
    return { baseUrl: `http://127.0.0.1:${localPort}`, token };
  }
}
