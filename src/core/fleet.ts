import { randomBytes } from "node:crypto";
import {
  ErrorCode,
  RbeeError,
  type Backend,
  type Beehive,
  type HiveDevices,
  type ProgressEvent,
  type RegisteredWorker,
} from "../shared/contract/index.js";
import type { CallbackTokens } from "./callback-tokens.js";
import type { BeehiveRegistry } from "./registry/beehive-registry.js";
import type { WorkerRegistry } from "./registry/worker-registry.js";
import { HiveControl, type HiveHandle } from "./remote/hive-control.js";
import { installOnNode } from "./remote/installer.js";
import { checkNode } from "./nodes/node-check.js";
import { NodeLifecycle } from "./nodes/node-lifecycle.js";
import type { NodeConnection } from "./ssh/node-connection.js";
import type { NodeConnections } from "./ssh/node-connections.js";

/** Receives progress of long work (install, spawn). */
export type ProgressSink = (event: Omit<ProgressEvent, "type">) => void;

/** Where and how to call one worker's API from this machine. */
export interface WorkerEndpoint {
  readonly baseUrl: string;
  readonly token: string;
}

export interface FleetOptions {
  readonly nodeHome: string;
  /** The workers' heartbeat interval. */
  readonly heartbeatMs?: number | undefined;
  /** Threads per worker (`--threads`); default: the worker's own choice. */
  readonly workerThreads?: number | undefined;
  readonly queenPort: () => number;
  readonly log: (message: string) => void;
}

/** How long a worker may take between "ready at its hive" and its registration reaching the queen. */
const REGISTRATION_TIMEOUT_MS = 15_000;

/**
 * The queen's hands on the nodes: install, start hives, spawn and stop workers, and reach workers
 * through their node's SSH connection. Reports what it sees of the nodes to their lifecycle.
 */
export class Fleet {
  readonly hives: HiveControl;
  /** The one writer of node status. */
  readonly nodes: NodeLifecycle;
  private readonly workerTokens = new Map<string, string>();

  constructor(
    private readonly beehives: BeehiveRegistry,
    private readonly workers: WorkerRegistry,
    private readonly callbackTokens: CallbackTokens,
    readonly connections: NodeConnections,
    private readonly options: FleetOptions,
  ) {
    this.hives = new HiveControl(connections, {
      nodeHome: options.nodeHome,
      queenPort: options.queenPort,
      workerHeartbeatMs: options.heartbeatMs,
      nodeToken: (nodeName) => callbackTokens.issueForNode(nodeName),
      log: options.log,
    });
    this.nodes = new NodeLifecycle(beehives);
    connections.onDidConnect((connection) => this.nodes.send(connection.nodeName, { type: "connected" }));
    // A dropped connection is checked at once: reconnected, or the node is marked unreachable.
    connections.onDidDisconnect((nodeName) => {
      const node = this.beehives.get(nodeName);
      if (node) void this.checkNode(node);
    });
  }

  /** One health check of a node, reported to its lifecycle. */
  checkNode(node: Beehive): Promise<void> {
    return checkNode({ connections: this.connections, hives: this.hives, nodes: this.nodes }, node);
  }

  /**
   * After a queen restart: finds the hives still running on the nodes and registers their workers
   * again, starting nothing. Each node on its own; an unreachable one is marked so.
   */
  async rediscover(): Promise<void> {
    const nodes = this.beehives.list().filter((node) => node.status === "ready" || node.status === "reachable");
    await Promise.all(
      nodes.map(async (node) => {
        let connected = false;
        try {
          await this.connections.get(node.node_name);
          connected = true;
          const hive = await this.hives.attach(node);
          if (!hive) return;
          for (const worker of await hive.client.listWorkers()) {
            if (worker.state === "loading") continue;
            if (worker.token) this.workerTokens.set(worker.id, worker.token);
            this.workers.register(
              {
                worker_id: worker.id,
                url: worker.url,
                model_ref: worker.model_ref,
                backend: worker.backend,
                device: worker.device,
                slots_total: worker.slots_total,
                slots_available: worker.slots_available,
                state: worker.state,
              },
              node.node_name,
            );
          }
          this.options.log(`${node.node_name}: rediscovered its hive and ${this.workers.onNode(node.node_name).length} worker(s)`);
        } catch (error) {
          this.nodes.send(node.node_name, { type: connected ? "hive-attach-failed" : "connect-failed" });
          this.options.log(`${node.node_name}: not reachable after restart (${(error as Error).message})`);
        }
      }),
    );
  }

  /** Installs or updates rbee on a node and starts its hive; the node ends `ready`. */
  async install(nodeName: string, progress: ProgressSink): Promise<{ readonly changed: boolean }> {
    const node = this.beehives.require(nodeName);
    const connection = await this.connect(node, progress);
    this.nodes.send(nodeName, { type: "install-started" });
    try {
      progress({ stage: "install", message: `Installing rbee on ${nodeName} (${node.git_branch} → ${node.install_path})` });
      const { changed } = await installOnNode(connection, node, (message) => progress({ stage: "install", message }));
      progress({ stage: "install", message: changed ? "Installed" : "Already up to date" });
      if (changed) await this.stopHiveQuietly(node);
      await this.startHive(node, progress);
      this.nodes.send(nodeName, { type: "install-succeeded" });
      return { changed };
    } catch (error) {
      this.nodes.send(nodeName, { type: "install-failed", connectionAlive: connection.alive });
      throw error;
    }
  }

  /** Spawns a worker on a node, installing rbee there first if needed; resolves once it is registered. */
  async spawnWorker(
    request: {
      readonly node_name: string;
      readonly model_ref: string;
      readonly backend: Backend;
      readonly device: number;
      readonly slots?: number | undefined;
      readonly ctx?: number | undefined;
    },
    progress: ProgressSink,
    signal?: AbortSignal,
  ): Promise<RegisteredWorker> {
    const node = this.beehives.require(request.node_name);
    await this.connect(node, progress);
    let hive: HiveHandle;
    try {
      hive = await this.startHive(node, progress);
    } catch (error) {
      if (!(error instanceof RbeeError && error.code === "NOT_INSTALLED")) throw error;
      await this.install(node.node_name, progress);
      hive = await this.startHive(node, progress);
    }
    const workerId = `${node.node_name}-${randomBytes(4).toString("hex")}`;
    const callbackToken = this.callbackTokens.issue(workerId, node.node_name);
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
          ...(this.options.workerThreads ? { threads: this.options.workerThreads } : {}),
        },
        signal,
      )) {
        switch (event.type) {
          case "progress":
            progress(event);
            break;
          case "spawned":
            if (event.token) this.workerTokens.set(workerId, event.token);
            break;
          case "error":
            throw new RbeeError(asErrorCode(event.code), event.message);
          case "ready":
            if (event.worker.token) this.workerTokens.set(workerId, event.worker.token);
            break;
        }
      }
      progress({ stage: "loading", message: "Worker loaded; waiting for its registration" });
      return await this.waitForRegistration(workerId, signal);
    } catch (error) {
      this.callbackTokens.revoke(workerId);
      this.workerTokens.delete(workerId);
      throw error;
    }
  }

  /** What a node has to run workers on, from its hive (started if needed). */
  async devices(nodeName: string): Promise<HiveDevices> {
    const node = this.beehives.require(nodeName);
    const hive = await this.hives.ensure(node);
    return hive.client.devices();
  }

  /** How to reach a worker's API: through its node's SSH connection, with its own token. */
  async endpoint(worker: RegisteredWorker): Promise<WorkerEndpoint> {
    const node = this.beehives.get(worker.node_name);
    if (!node) throw new RbeeError("WORKER_FAILED", `Worker ${worker.id} is on "${worker.node_name}", which is not a registered node`);
    let token = this.workerTokens.get(worker.id);
    if (!token) {
      const hive = await this.hives.ensure(node);
      token = (await hive.client.listWorkers()).find((w) => w.id === worker.id)?.token;
      if (!token) throw new RbeeError("WORKER_NOT_FOUND", `Worker ${worker.id} is no longer running on ${worker.node_name}`);
      this.workerTokens.set(worker.id, token);
    }
    const connection = await this.connections.get(node.node_name);
    const localPort = await connection.localPortFor(Number(new URL(worker.url).port));
    return { baseUrl: `http://127.0.0.1:${localPort}`, token };
  }

  /** Asks the worker's hive whether it still runs; drops it from the registry at once if not. */
  async forgetIfGone(worker: RegisteredWorker): Promise<void> {
    const node = this.beehives.get(worker.node_name);
    if (!node) return;
    try {
      const hive = await this.hives.attach(node);
      const running = hive ? (await hive.client.listWorkers()).some((w) => w.id === worker.id) : false;
      if (!running) {
        this.workers.remove(worker.id);
        this.workerTokens.delete(worker.id);
        this.callbackTokens.revoke(worker.id);
      }
    } catch (error) {
      this.options.log(`checking worker ${worker.id} on ${worker.node_name}: ${(error as Error).message}`);
    }
  }

  /** Stops a worker's process on its node; best effort when the node cannot be reached. */
  async stopWorker(worker: Pick<RegisteredWorker, "id" | "node_name">): Promise<void> {
    this.workerTokens.delete(worker.id);
    const node = this.beehives.get(worker.node_name);
    if (!node) return;
    try {
      // Attach only: a node without a running hive has no running workers either.
      const hive = await this.hives.attach(node);
      await hive?.client.stopWorker(worker.id);
    } catch (error) {
      this.options.log(`stopping worker ${worker.id} on ${worker.node_name}: ${(error as Error).message}`);
    }
  }

  /** Stops the node's hive (and so its workers) and forgets the connection; best effort. */
  async forgetNode(node: Beehive): Promise<void> {
    await this.stopHiveQuietly(node);
    this.connections.drop(node.node_name);
    this.callbackTokens.revokeNode(node.node_name);
    this.nodes.forget(node.node_name);
  }

  /** Stops the hives this queen owns unless told to leave them running, then closes every connection. */
  async shutdown(keepNodesRunning: boolean): Promise<void> {
    if (!keepNodesRunning) {
      const owned = [...this.hives.owned].map((name) => this.beehives.get(name)).filter((n): n is Beehive => !!n);
      await Promise.all(owned.map((node) => this.stopHiveQuietly(node)));
    }
    this.connections.closeAll();
  }

  private async connect(node: Beehive, progress: ProgressSink): Promise<NodeConnection> {
    const existing = this.connections.current(node.node_name);
    if (existing) return existing;
    progress({ stage: "ssh", message: `Connecting to ${node.ssh_user}@${node.ssh_host}:${node.ssh_port}` });
    try {
      return await this.connections.get(node.node_name, true);
    } catch (error) {
      this.nodes.send(node.node_name, { type: "connect-failed" });
      throw error;
    }
  }

  private async startHive(node: Beehive, progress: ProgressSink): Promise<HiveHandle> {
    progress({ stage: "hive", message: `Starting rbee-hive on ${node.node_name}` });
    const hive = await this.hives.ensure(node);
    this.nodes.send(node.node_name, { type: "hive-started" });
    return hive;
  }

  private async stopHiveQuietly(node: Beehive): Promise<void> {
    try {
      if (this.connections.current(node.node_name) || this.hives.owned.has(node.node_name)) await this.hives.stop(node);
    } catch (error) {
      this.options.log(`stopping rbee-hive on ${node.node_name}: ${(error as Error).message}`);
    }
  }

  /** Resolves once the worker's registration reached the queen (it may already have). */
  private waitForRegistration(workerId: string, signal?: AbortSignal): Promise<RegisteredWorker> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        dispose();
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const check = (): void => {
        const worker = this.workers.get(workerId);
        if (worker && worker.state !== "loading") {
          finish();
          resolve(worker);
        }
      };
      const onAbort = (): void => {
        finish();
        reject(new RbeeError("WORKER_FAILED", "Cancelled while the worker was starting"));
      };
      const dispose = this.workers.onDidChange(check);
      const timer = setTimeout(() => {
        finish();
        reject(new RbeeError("WORKER_FAILED", `Worker ${workerId} is ready on its node but its registration never reached the queen`));
      }, REGISTRATION_TIMEOUT_MS);
      signal?.addEventListener("abort", onAbort);
      check();
    });
  }
}

function asErrorCode(code: string): ErrorCode {
  const parsed = ErrorCode.safeParse(code);
  return parsed.success ? parsed.data : "WORKER_FAILED";
}
