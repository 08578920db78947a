import { RbeeError } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import { NodeConnection } from "./node-connection.js";
import { connectSsh, type SshConnectOptions, type SshTarget } from "./ssh-connect.js";

const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 10_000;

interface Slot {
  connection?: NodeConnection;
  pending?: Promise<NodeConnection>;
  failure?: { error: unknown; retryAt: number; backoffMs: number };
}

/**
 * One SSH connection per node, opened on first use and reused. After a failure the node is not
 * dialled again until its backoff passes (the last error is answered at once meanwhile), so a dead
 * node costs one timeout, not one per request; nodes never wait on each other.
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

  /** The node's live connection, opening one if needed. `force` skips the backoff (a user's retry). */
  get(nodeName: string, force = false): Promise<NodeConnection> {
    const slot = this.slot(nodeName);
    if (slot.connection?.alive) return Promise.resolve(slot.connection);
    if (slot.pending) return slot.pending;
    if (!force && slot.failure && Date.now() < slot.failure.retryAt) return Promise.reject(slot.failure.error);
    slot.pending = this.open(nodeName, slot).finally(() => {
      slot.pending = undefined;
    });
    return slot.pending;
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

  private async open(nodeName: string, slot: Slot): Promise<NodeConnection> {
    try {
      // A node stored without verification meets its key here first: trust on first use, as at add.
      const session = await connectSsh(this.targetOf(nodeName), { ...this.options, unknownHost: "trust" });
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
