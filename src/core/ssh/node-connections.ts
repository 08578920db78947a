import { RbeeError } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import { NodeConnection } from "./node-connection.js";
import { connectSsh, type SshConnectOptions, type SshTarget } from "./ssh-connect.js";

const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 10_000;

interface Slot {
  connection?: NodeConnection;
  pending?: { readonly promise: Promise<NodeConnection>; readonly byUser: boolean };
  failure?: { error: unknown; retryAt: number; backoffMs: number };
}

/**
 * One SSH connection per node, opened on first use and reused. After a failure the node is not
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
    private readonly targetOf: (nodeName: string) => SshTarget,
    private readonly options: Omit<SshConnectOptions, "unknownHost">,
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

  /** The live connection if there is one, without dialling. */
  current(nodeName: string): NodeConnection | undefined {
    const connection = this.slots.get(nodeName)?.connection;
    return connection?.alive ? connection : undefined;
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

  private async open(nodeName: string, slot: Slot, byUser: boolean): Promise<NodeConnection> {
    try {
      const session = await connectSsh(this.targetOf(nodeName), { ...this.options, unknownHost: byUser ? "trust" : "refuse" });
      const connection = new NodeConnection(nodeName, session.client, session.fingerprint);
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
