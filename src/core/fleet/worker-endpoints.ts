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

/**
 * The workers' own API tokens (each hive makes one per worker), and the way to a worker's API:
 * a local forward through its node's SSH connection.
 */
export class WorkerEndpoints {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly deps: {
      readonly beehives: BeehiveRegistry;
      readonly workers: Pick<WorkerRegistry, "get">;
      readonly hives: Pick<HiveControl, "ensure">;
      readonly connections: Pick<NodeConnections, "get">;
    },
  ) {}

  /** Keeps a worker's API token, as its hive reported it. */
  remember(workerId: string, token: string | undefined): void {
    if (token) this.tokens.set(workerId, token);
  }

  /** Drops a worker's API token (the worker is retired). */
  forget(workerId: string): void {
    this.tokens.delete(workerId);
  }

  /** Whether this queen holds the worker's API token. */
  hasToken(workerId: string): boolean {
    return this.tokens.has(workerId);
  }

  /** How to reach a worker's API; its token is asked of its hive when not known yet. */
  async endpoint(worker: RegisteredWorker): Promise<WorkerEndpoint> {
    const node = this.deps.beehives.get(worker.node_name);
    if (!node) throw new RbeeError("WORKER_FAILED", `Worker ${worker.id} is on "${worker.node_name}", which is not a registered node`);
    let token = this.tokens.get(worker.id);
    if (!token) {
      const hive = await this.deps.hives.ensure(node);
      token = (await hive.client.listWorkers()).find((w) => w.id === worker.id)?.token;
      if (!token) throw new RbeeError("WORKER_NOT_FOUND", `Worker ${worker.id} is no longer running on ${worker.node_name}`);
      // Not kept for a worker retired meanwhile: its retirement already dropped its token.
      if (this.deps.workers.get(worker.id)) this.tokens.set(worker.id, token);
    }
    const connection = await this.deps.connections.get(node.node_name);
    const localPort = await connection.localPortFor(Number(new URL(worker.url).port));
    return { baseUrl: `http://127.0.0.1:${localPort}`, token };
  }
}
