import { RbeeError, type HiveRpcServer, type WorkerShard } from "../../shared/contract/index.js";
import type { HiveClient } from "../remote/hive-client.js";
import type { ShardTunnel } from "./shard-tunnels.js";

/** What a shard's hive is asked for: its rpc-servers' bytes, and to stop one. */
export type ShardHive = Pick<HiveClient, "stopRpcServer" | "listRpcServers">;

/** One shard of a split worker: the rpc-server a node's hive runs for it, and its tunnel once open. */
interface ShardPart {
  readonly nodeName: string;
  readonly hive: ShardHive;
  readonly server: HiveRpcServer;
  tunnel?: ShardTunnel;
  bytes: number;
}

/**
 * The shards of one split worker, from its spawn on: each part is added as it starts, so that
 * whatever was started is stopped when the spawn fails, the worker is retired, or a shard is lost.
 */
export class ShardSet {
  private readonly parts: ShardPart[] = [];
  private readonly lostController = new AbortController();
  private released = false;
  private lostError: RbeeError | undefined;

  constructor(
    readonly workerId: string,
    /** The node that runs llama-server. */
    readonly mainNode: string,
    private readonly onLost: (set: ShardSet, error: RbeeError) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Aborts when a shard is lost: what a spawn under way waits on besides its own signal. */
  get lostSignal(): AbortSignal {
    return this.lostController.signal;
  }

  /** The SHARD_LOST error, once a shard was lost. */
  get lost(): RbeeError | undefined {
    return this.lostError;
  }

  /** Adds a started rpc-server; stopped at once (and SHARD_LOST or WORKER_FAILED thrown) when the set is already released. */
  async addServer(nodeName: string, hive: ShardHive, server: HiveRpcServer): Promise<void> {
    const part: ShardPart = { nodeName, hive, server, bytes: server.buffer_bytes };
    if (this.released) {
      await this.stopPart(part);
      throw this.lostError ?? new RbeeError("WORKER_FAILED", `Worker ${this.workerId} was stopped while its shards started`);
    }
    this.parts.push(part);
  }

  /** Attaches a shard's open tunnel to its rpc-server's part (closed at once when the set is already released). */
  addTunnel(nodeName: string, tunnel: ShardTunnel): void {
    const part = this.parts.find((candidate) => candidate.nodeName === nodeName);
    if (this.released || !part) {
      tunnel.close();
      throw this.lostError ?? new RbeeError("WORKER_FAILED", `Worker ${this.workerId} was stopped while its shards started`);
    }
    part.tunnel = tunnel;
  }

  /** A tunnel's report that its shard went away: told once, with the reason, and the set is then released by its owner. */
  lose(reason: string): void {
    if (this.released || this.lostError) return;
    this.lostError = new RbeeError("SHARD_LOST", `${reason}; worker ${this.workerId} on ${this.mainNode} is stopped`);
    this.lostController.abort(this.lostError);
    this.onLost(this, this.lostError);
  }

  /** `--rpc` for llama-server: the tunnels' ports on the main node, in shard order. */
  rpcAddresses(): string[] {
    return this.parts.map((part) => {
      if (!part.tunnel) throw new RbeeError("INTERNAL", `The shard on ${part.nodeName} has no tunnel yet`);
      return part.tunnel.address;
    });
  }

  /** The rpc-servers' free bytes when they started, in shard order. */
  freeBytes(): number[] {
    return this.parts.map((part) => part.server.free_bytes);
  }

  /** What `WorkerInfo.shards` shows. */
  shards(): WorkerShard[] {
    return this.parts.map((part) => ({ node_name: part.nodeName, device: part.server.device_name, bytes: part.bytes }));
  }

  /** Reads what each rpc-server holds now (`buffer_bytes` from its hive); a hive that does not answer keeps its last figure. */
  async refreshBytes(): Promise<WorkerShard[]> {
    await Promise.all(
      this.parts.map(async (part) => {
        try {
          const server = (await part.hive.listRpcServers()).find((candidate) => candidate.id === part.server.id);
          if (server) part.bytes = server.buffer_bytes;
        } catch (error) {
          this.log(`reading the rpc-server of worker ${this.workerId} on ${part.nodeName}: ${(error as Error).message}`);
        }
      }),
    );
    return this.shards();
  }

  /** Closes every tunnel and stops every rpc-server (best effort, never rejects); later additions are stopped at once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const part of this.parts) part.tunnel?.close();
    await Promise.all(this.parts.map((part) => this.stopPart(part)));
  }

  private async stopPart(part: ShardPart): Promise<void> {
    part.tunnel?.close();
    try {
      await part.hive.stopRpcServer(part.server.id);
    } catch (error) {
      this.log(`stopping the rpc-server of worker ${this.workerId} on ${part.nodeName}: ${(error as Error).message}`);
    }
  }
}

/**
 * The one owner of split workers' shards (rpc-servers and tunnels), by worker id: a spawn begins a
 * set, the worker's retirement releases it (WorkerLifecycle.retire), and a lost shard is reported
 * to `onLost`, which retires the worker.
 */
export class ShardSets {
  private readonly sets = new Map<string, ShardSet>();

  constructor(
    private readonly deps: {
      readonly onLost: (workerId: string, mainNode: string, error: RbeeError) => void;
      readonly log: (message: string) => void;
    },
  ) {}

  /** Starts the set of a worker being spawned. */
  begin(workerId: string, mainNode: string): ShardSet {
    const set = new ShardSet(workerId, mainNode, (lost, error) => {
      this.deps.log(error.message);
      this.deps.onLost(lost.workerId, lost.mainNode, error);
    }, this.deps.log);
    this.sets.set(workerId, set);
    return set;
  }

  get(workerId: string): ShardSet | undefined {
    return this.sets.get(workerId);
  }

  /** Stops a worker's rpc-servers and closes its tunnels; nothing for a worker that has none. */
  async release(workerId: string): Promise<void> {
    const set = this.sets.get(workerId);
    if (!set) return;
    this.sets.delete(workerId);
    await set.release();
  }

  /** The workers that have shards. */
  workerIds(): string[] {
    return [...this.sets.keys()];
  }
}
