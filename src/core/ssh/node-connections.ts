import { RbeeError } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import { LocalNodeConnection, type LocalNodeOptions } from "../transport/local-connection.js";
import type { NodeConnection } from "../transport/node-connection.js";
import { SshNodeConnection } from "./node-connection.js";
import { connectSsh, type SshConnectOptions, type SshTarget } from "./ssh-connect.js";

/** How a node is reached: over SSH to a target, or this computer itself. */
export type NodeRoute = { readonly transport: "ssh"; readonly target: SshTarget } | { readonly transport: "local" };

/** How every node is reached: the SSH options, RBEE_HOME on SSH nodes, and this computer's node. */
export type NodeConnectionsOptions = Omit<SshConnectOptions, "unknownHost"> & {
  /** RBEE_HOME on SSH nodes (`~/.rbee` by default). */
  readonly nodeHome?: string | undefined;
  readonly local: LocalNodeOptions;
};

const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 10_000;

interface Slot {
  connection?: NodeConnection;
  pending?: { readonly promise: Promise<NodeConnection>; readonly byUser: boolean };
  failure?: { error: unknown; retryAt: number; backoffMs: number };
}

/**
 * One connection per node, opened on first use and reused: an SSH connection, or for `local` this
 * computer itself (always there, never dialled). After a failure the node is not
 * dialled again until its backoff passes (the last error is answered at once meanwhile), so a dead
 * node costs one timeout, not one per request; nodes never wait on each other.
 *
 * Host keys: every connection is checked against the recorded keys (the one pinned when the node
 * was added). Only a connection the user asked for (install, spawn: `byUser`) may trust a host
 * none of whose keys is recorded, as for a node added without verification; a background one
 * (health check, reconnect after a drop, rediscovery) refuses it and records nothing.
 */
export class NodeConnections {
  private readonly slots = new Map<string, Slot>();
  private readonly connected = new Emitter<NodeConnection>();
  private readonly disconnected = new Emitter<string>();

  constructor(
    private readonly routeOf: (nodeName: string) => NodeRoute,
    private readonly options: NodeConnectionsOptions,
  ) {}

  /** Fires after each new connection (first or re-connection). */
  readonly onDidConnect = (listener: (connection: NodeConnection) => void) => this.connected.on(listener);
  /** Fires when a node's connection drops. */
  readonly onDidDisconnect = (listener: (nodeName: string) => void) => this.disconnected.on(listener);

  /**
   * The node's live connection, opening one if needed. `byUser`: the user asked for it (install,
   * spawn): skips the backoff, and may trust the host's key on first use when none is recorded.
   */
  get(nodeName: string, byUser = false): Promise<NodeConnection> {
    const slot = this.slot(nodeName);
    if (slot.connection?.alive) return Promise.resolve(slot.connection);
    const route = this.routeOf(nodeName);
    if (route.transport === "local") return Promise.resolve(this.attachLocal(nodeName, slot));
    if (slot.pending) {
      // A background attempt under way may refuse what the user's may accept: if it fails, the user's runs.
      const { promise, byUser: pendingByUser } = slot.pending;
      return byUser && !pendingByUser ? promise.catch(() => this.get(nodeName, true)) : promise;
    }
    if (!byUser && slot.failure && Date.now() < slot.failure.retryAt) return Promise.reject(slot.failure.error);
    const pending = {
      byUser,
      promise: this.open(nodeName, slot, byUser).finally(() => {
        if (slot.pending === pending) slot.pending = undefined;
      }),
    };
    slot.pending = pending;
    return pending.promise;
  }

  /** The live connection if there is one, without dialling (this computer is always there). */
  current(nodeName: string): NodeConnection | undefined {
    const connection = this.slots.get(nodeName)?.connection;
    if (connection?.alive) return connection;
    let route: NodeRoute;
    try {
      route = this.routeOf(nodeName);
    } catch {
      return undefined;
    }
    return route.transport === "local" ? this.attachLocal(nodeName, this.slot(nodeName)) : undefined;
  }

  /** Closes and forgets a node's connection (node removed). */
  drop(nodeName: string): void {
    const connection = this.slots.get(nodeName)?.connection;
    // Forgotten first, so that closing on purpose is not reported as a lost node.
    this.slots.delete(nodeName);
    connection?.close();
  }

  closeAll(): void {
    for (const nodeName of [...this.slots.keys()]) this.drop(nodeName);
  }

  private slot(nodeName: string): Slot {
    let slot = this.slots.get(nodeName);
    if (!slot) {
      slot = {};
      this.slots.set(nodeName, slot);
    }
    return slot;
  }

  private attachLocal(nodeName: string, slot: Slot): NodeConnection {
    const connection = new LocalNodeConnection(nodeName, this.options.local);
    slot.connection = connection;
    this.connected.fire(connection);
    return connection;
  }

  private async open(nodeName: string, slot: Slot, byUser: boolean): Promise<NodeConnection> {
    try {
      const route = this.routeOf(nodeName);
      if (route.transport !== "ssh") throw new RbeeError("INTERNAL", `Node ${nodeName} is not reached over SSH`);
      const { nodeHome, local: _local, ...ssh } = this.options;
      const session = await connectSsh(route.target, { ...ssh, unknownHost: byUser ? "trust" : "refuse" });
      const connection = new SshNodeConnection(nodeName, session.client, session.fingerprint, nodeHome);
      slot.connection = connection;
      slot.failure = undefined;
      connection.onDidClose(() => {
        if (this.slots.get(nodeName)?.connection === connection) this.disconnected.fire(nodeName);
      });
      this.connected.fire(connection);
      return connection;
    } catch (error) {
      const backoffMs = slot.failure ? Math.min(slot.failure.backoffMs * 2, BACKOFF_MAX_MS) : BACKOFF_START_MS;
      slot.failure = { error, retryAt: Date.now() + backoffMs, backoffMs };
      throw error instanceof RbeeError ? error : new RbeeError("SSH_FAILED", String(error));
    }
  }
}
