import type { Beehive, HiveDevices, RegisteredWorker } from "../shared/contract/index.js";
import type { CallbackTokens } from "./callback-tokens.js";
import { installNode } from "./fleet/installing.js";
import { NodeAccess } from "./fleet/node-access.js";
import type { ProgressSink } from "./fleet/progress-sink.js";
import { adoptRunningWorkers, rediscover } from "./fleet/rediscovery.js";
import { ShardSets } from "./fleet/shard-sets.js";
import { spawnWorker, type SpawnRequest } from "./fleet/spawning.js";
import { WorkerEndpoints, type WorkerEndpoint } from "./fleet/worker-endpoints.js";
import { WorkerLifecycle, type RetireOptions, type RetireReason } from "./fleet/worker-lifecycle.js";
import { FleetModels } from "./models/fleet-models.js";
import type { CopyOptions } from "./models/model-copy.js";
import { ModelTransfers } from "./models/model-transfers.js";
import { checkNode } from "./nodes/node-check.js";
import { NodeLifecycle } from "./nodes/node-lifecycle.js";
import type { BeehiveRegistry } from "./registry/beehive-registry.js";
import type { WorkerRegistry } from "./registry/worker-registry.js";
import { HiveControl } from "./remote/hive-control.js";
import type { NodeConnections } from "./ssh/node-connections.js";


/** The registries and tokens the fleet acts on. */
export interface FleetState {
  readonly beehives: BeehiveRegistry;
  readonly workers: WorkerRegistry;
  readonly callbackTokens: CallbackTokens;
}

/** How the fleet runs things on the nodes. */
export interface FleetOptions {
  /** The workers' heartbeat interval. */
  readonly heartbeatMs?: number | undefined;
  /** Threads per worker (`--threads`); default: the worker's own choice. */
  readonly workerThreads?: number | undefined;
  /** The queen's callback listener port on this machine: what each node's callback tunnel leads to. */
  readonly callbackPort: () => number;
  readonly log: (message: string) => void;
  /** Node-to-node copies (a bandwidth cap). */
  readonly copy?: CopyOptions | undefined;
}

/**
 * The queen's hands on the nodes, wiring the pieces that each own one thing: node status
 * (NodeLifecycle), a worker's admission and removal (WorkerLifecycle), the way to a worker's API
 * (WorkerEndpoints), and the install, spawn, health-check and rediscovery steps.
 */
export class Fleet {
  readonly hives: HiveControl;
  /** The one writer of node status. */
  readonly nodes: NodeLifecycle;
  /** The one owner of a worker's admission and removal. */
  readonly workerLifecycle: WorkerLifecycle;
  /** The workers' API tokens and the way to their APIs. */
  readonly endpoints: WorkerEndpoints;
  /** The downloads and copies running on the fleet (the `downloads` of /v1/events). */
  readonly transfers = new ModelTransfers();
  /** Every node's models: inventory, download, copy, remove. */
  readonly models: FleetModels;
  /** The rpc-servers and tunnels of workers split across nodes. */
  readonly shardSets: ShardSets;
  private readonly access: NodeAccess;
  /** Adoptions under way, one per node at a time (see adoptWorkers). */
  private readonly adopting = new Map<string, Promise<void>>();

  constructor(
    private readonly state: FleetState,
    readonly connections: NodeConnections,
    private readonly options: FleetOptions,
  ) {
    const { beehives, workers, callbackTokens } = state;
    this.hives = new HiveControl(connections, {
      callbackPort: options.callbackPort,
      workerHeartbeatMs: options.heartbeatMs,
      nodeToken: (nodeName) => callbackTokens.issueForNode(nodeName),
      log: options.log,
    });
    this.nodes = new NodeLifecycle(beehives);
    this.endpoints = new WorkerEndpoints({ beehives, workers, hives: this.hives, connections });
    // A lost shard retires its worker: its jobs end with SHARD_LOST, its process and other shards are stopped.
    this.shardSets = new ShardSets({
      onLost: (workerId, mainNode, error) => void this.workerLifecycle.retire(workerId, "shard-lost", { stopProcess: true, nodeName: mainNode, error }),
      log: options.log,
    });
    this.workerLifecycle = new WorkerLifecycle({
      beehives,
      workers,
      callbackTokens,
      endpoints: this.endpoints,
      hives: this.hives,
      log: options.log,
      shards: this.shardSets,
    });
    this.models = new FleetModels({ beehives, hives: this.hives, transfers: this.transfers,
      connect: (nodeName) => connections.get(nodeName, true),
      log: options.log,
      copy: options.copy,
    });
    this.access = new NodeAccess({ connections, hives: this.hives, nodes: this.nodes, log: options.log });
    connections.onDidConnect((connection) => this.nodes.send(connection.nodeName, { type: "connected" }));
    // A dropped connection is checked at once: reconnected, or the node is marked unreachable.
    connections.onDidDisconnect((nodeName) => {
      const node = beehives.get(nodeName);
      if (node) void this.checkNode(node);
    });
  }

  /** One health check of a node, reported to its lifecycle. */
  checkNode(node: Beehive): Promise<void> {
    return checkNode({ connections: this.connections, hives: this.hives, nodes: this.nodes }, node);
  }

  /** After a queen restart: registers the workers still running on the nodes, starting nothing. */
  rediscover(): Promise<void> {
    return rediscover({
      ...this.state,
      connections: this.connections,
      hives: this.hives,
      nodes: this.nodes,
      endpoints: this.endpoints,
      lifecycle: this.workerLifecycle,
      log: this.options.log,
    });
  }

  /**
   * Registers the workers a node's hive runs that this queen does not know yet, from the hive's own
   * list: what a hive's token asking to register an unknown worker leads to (a worker of an earlier
   * queen, on a node that was unreachable when this one started). One at a time per node.
   */
  adoptWorkers(nodeName: string): void {
    const node = this.state.beehives.get(nodeName);
    if (!node || this.adopting.has(nodeName)) return;
    const deps = { hives: this.hives, endpoints: this.endpoints, lifecycle: this.workerLifecycle, log: this.options.log };
    const adoption = adoptRunningWorkers(deps, node)
      .then(() => undefined)
      .catch((error: unknown) => this.options.log(`${nodeName}: asking its hive for its workers failed: ${(error as Error).message}`))
      .finally(() => this.adopting.delete(nodeName));
    this.adopting.set(nodeName, adoption);
  }

  /** Installs or updates rbee on a node and starts its hive; the node ends `ready`. */
  install(nodeName: string, progress: ProgressSink): Promise<{ readonly changed: boolean }> {
    return installNode({ beehives: this.state.beehives, access: this.access, nodes: this.nodes }, nodeName, progress);
  }

  /** Spawns a worker on a node, installing rbee there first if needed; resolves once it is registered. */
  spawnWorker(request: SpawnRequest, progress: ProgressSink, signal?: AbortSignal): Promise<RegisteredWorker> {
    return spawnWorker(
      {
        ...this.state,
        access: this.access,
        endpoints: this.endpoints,
        lifecycle: this.workerLifecycle,
        install: (nodeName, sink) => this.install(nodeName, sink),
        workerThreads: this.options.workerThreads,
        bringModel: (nodeName, modelRef, sink, abort) => this.models.bringTo(nodeName, modelRef, sink, abort),
        transfers: this.transfers,
        shardSets: this.shardSets,
      },
      request,
      progress,
      signal,
    );
  }

  /** What a node has to run workers on, from its hive (started if needed). */
  async devices(nodeName: string): Promise<HiveDevices> {
    const hive = await this.hives.ensure(this.state.beehives.require(nodeName));
    return hive.client.devices();
  }

  /** What a node has, with live GPU figures, from its hive if one is open now (none is started for this). */
  async devicesIfRunning(nodeName: string): Promise<HiveDevices | undefined> {
    const hive = await this.hives.current(nodeName);
    return hive?.client.devices();
  }

  /** How to reach a worker's API: through its node's SSH connection, with its own token. */
  endpoint(worker: RegisteredWorker): Promise<WorkerEndpoint> {
    return this.endpoints.endpoint(worker);
  }

  /** Removes a worker and its tokens, optionally stopping its process (see WorkerLifecycle.retire). */
  retireWorker(workerId: string, reason: RetireReason, options: RetireOptions): Promise<void> {
    return this.workerLifecycle.retire(workerId, reason, options);
  }

  /** Asks the worker's hive whether it still runs; retires it at once if not. */
  forgetIfGone(worker: RegisteredWorker): Promise<void> {
    return this.workerLifecycle.forgetIfGone(worker);
  }

  /** Stops the node's hive (and so its workers) and forgets the connection and its token; best effort. */
  async forgetNode(node: Beehive): Promise<void> {
    await this.access.stopHiveQuietly(node);
    this.connections.drop(node.node_name);
    this.state.callbackTokens.revokeNode(node.node_name);
    this.nodes.forget(node.node_name);
  }

  /** Stops the hives this queen owns unless told to leave them running, then closes every connection. */
  async shutdown(keepNodesRunning: boolean): Promise<void> {
    // A split worker cannot outlive this queen, whose connections carry its tunnels: it is stopped
    // with its rpc-servers even when the nodes keep running.
    await Promise.all(
      this.shardSets.workerIds().map((id) => this.workerLifecycle.retire(id, "stopped", { stopProcess: true, nodeName: this.shardSets.get(id)?.mainNode })),
    );
    if (!keepNodesRunning) {
      const owned = [...this.hives.owned].map((name) => this.state.beehives.get(name)).filter((n): n is Beehive => !!n);
      await Promise.all(owned.map((node) => this.access.stopHiveQuietly(node)));
    }
    this.connections.closeAll();
  }
}
