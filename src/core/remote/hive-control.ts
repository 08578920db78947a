import { HiveStateFile, RBEE_VERSION, RbeeError, type Beehive } from "../../shared/contract/index.js";
import type { NodeConnection } from "../transport/node-connection.js";
import type { NodeConnections } from "../ssh/node-connections.js";
import { HiveClient } from "./hive-client.js";
import {
  EXIT_HIVE_FAILED,
  EXIT_NOT_INSTALLED,
  EXIT_NO_HIVE,
  hiveStartScript,
  hiveStopScript,
  type RemoteScript,
} from "./remote-scripts.js";

/** A node's running hive as the queen reaches it. */
export interface HiveHandle {
  readonly client: HiveClient;
  readonly connection: NodeConnection;
  readonly pid: number;
  readonly port: number;
}

export interface HiveControlOptions {
  /** The queen's callback listener port on this machine (the target of the callback tunnel; not the API port). */
  readonly callbackPort: () => number;
  /** The heartbeat interval of the workers, passed to each hive at start. */
  readonly workerHeartbeatMs?: number | undefined;
  /** The token a node's hive relays worker callbacks with. */
  readonly nodeToken: (nodeName: string) => string;
  readonly log: (message: string) => void;
}

/**
 * Starts, finds and stops the hive on each node through its connection (SSH, or this computer). A healthy hive of the same version is
 * reused; one of another version is replaced. Every (re)connection tells the hive the queen's
 * current callback address, because the remote forward's port changes with the connection.
 */
export class HiveControl {
  private readonly handles = new Map<string, Promise<HiveHandle>>();
  /** Nodes whose hive this queen started or adopted from a queen that died: stopped when it stops. */
  readonly owned = new Set<string>();
  /** Per node with an open in flight: whether it has begun starting a hive, and who wants to hear it. */
  private readonly starts = new Map<string, { announced: boolean; readonly listeners: Set<() => void> }>();

  constructor(
    private readonly connections: NodeConnections,
    private readonly options: HiveControlOptions,
  ) {}

  /**
   * The node's hive, started if needed. NOT_INSTALLED when the programs are missing there.
   * `onStart` is called only when a hive is started (none ran, or one of another version is
   * replaced), so that progress says "starting" only then: also for a caller that joins an open
   * already under way (told at once when that one has begun starting).
   */
  ensure(node: Beehive, onStart?: () => void): Promise<HiveHandle> {
    const handle = this.track(node, () => this.open(node, false, true));
    const start = this.starts.get(node.node_name);
    if (onStart && start) {
      if (start.announced) onStart();
      else start.listeners.add(onStart);
    }
    return handle;
  }

  /** The node's hive if one already runs there (nothing is started); undefined when none does. */
  async attach(node: Beehive): Promise<HiveHandle | undefined> {
    try {
      return await this.track(node, () => this.open(node, false, false));
    } catch (error) {
      if (error instanceof RbeeError && error.code === "NOT_INSTALLED") return undefined;
      throw error;
    }
  }

  /** The hive handle if one is open, without connecting. */
  async current(nodeName: string): Promise<HiveHandle | undefined> {
    const handle = this.handles.get(nodeName);
    return handle ? handle.catch(() => undefined) : undefined;
  }

  /** Stops the node's hive (which stops its workers). */
  async stop(node: Beehive): Promise<void> {
    this.handles.delete(node.node_name);
    this.owned.delete(node.node_name);
    const connection = await this.connections.get(node.node_name);
    await run(connection, hiveStopScript(connection.nodeHome));
  }

  /** Forgets a node's handle (e.g. after a reinstall). */
  forget(nodeName: string): void {
    this.handles.delete(nodeName);
  }

  /** One handle per node, shared by concurrent callers, forgotten when it fails or its connection closes. */
  private track(node: Beehive, opener: () => Promise<HiveHandle>): Promise<HiveHandle> {
    const existing = this.handles.get(node.node_name);
    if (existing) return existing;
    const start = { announced: false, listeners: new Set<() => void>() };
    this.starts.set(node.node_name, start);
    const handle = opener();
    this.handles.set(node.node_name, handle);
    const forget = (): void => {
      if (this.handles.get(node.node_name) === handle) this.handles.delete(node.node_name);
    };
    const settled = (): void => {
      if (this.starts.get(node.node_name) === start) this.starts.delete(node.node_name);
    };
    handle.then(settled, settled);
    handle.then((opened) => opened.connection.onDidClose(forget), forget);
    return handle;
  }

  /** Tells everyone waiting on the node's open that a hive is being started. */
  private announceStart(nodeName: string): void {
    const start = this.starts.get(nodeName);
    if (!start || start.announced) return;
    start.announced = true;
    for (const listener of start.listeners) listener();
  }

  private async open(node: Beehive, replacing = false, start = true): Promise<HiveHandle> {
    const connection = await this.connections.get(node.node_name);
    const remotePort = await connection.remotePortFor(this.options.callbackPort());
    const callbackUrl = `http://127.0.0.1:${remotePort}`;
    const callbackToken = this.options.nodeToken(node.node_name);
    const script = (startIfNone: boolean) =>
      run(
        connection,
        hiveStartScript({
          installPath: connection.installPath(node),
          nodeHome: connection.nodeHome,
          nodeCommand: connection.nodeCommand,
          nodeName: node.node_name,
          callbackUrl,
          callbackToken,
          start: startIfNone,
          ...(this.options.workerHeartbeatMs ? { workerHeartbeatMs: this.options.workerHeartbeatMs } : {}),
        }),
      );
    // Asked first whether one runs, so that a start is announced only when there is one (one more
    // command, on the cold path only: a running hive answers the first).
    let result = await script(false);
    if (start && result.code === EXIT_NO_HIVE) {
      this.announceStart(node.node_name);
      result = await script(true);
    }
    if (result.code === EXIT_NOT_INSTALLED || result.code === EXIT_NO_HIVE) {
      throw new RbeeError("NOT_INSTALLED", `rbee is not installed on ${node.node_name}: run setup install first`);
    }
    if (result.code !== 0) {
      const reason = result.code === EXIT_HIVE_FAILED ? result.stderr.trim() : `exit ${result.code}: ${result.stderr.trim()}`;
      throw new RbeeError("WORKER_FAILED", `rbee-hive did not start on ${node.node_name}: ${reason.slice(-800)}`);
    }
    const [stateLine = "", tokenLine = ""] = result.stdout.split("\n").filter((line) => line.trim() !== "");
    const state = HiveStateFile.safeParse(safeJson(stateLine));
    const token = tokenLine.trim();
    if (!state.success || token.length < 32) {
      throw new RbeeError("WORKER_FAILED", `rbee-hive on ${node.node_name} left an unreadable state file`);
    }
    if (!start && state.data.node_name && state.data.node_name !== node.node_name) {
      // Another registry entry for the same machine owns this hive: not this node's to adopt.
      throw new RbeeError("NOT_INSTALLED", `The hive there belongs to node "${state.data.node_name}"`);
    }
    if (state.data.version !== RBEE_VERSION && !replacing) {
      this.options.log(`${node.node_name}: replacing rbee-hive ${state.data.version} with ${RBEE_VERSION}`);
      await run(connection, hiveStopScript(connection.nodeHome));
      this.announceStart(node.node_name);
      return this.open(node, true);
    }
    const localPort = await connection.localPortFor(state.data.port);
    const client = new HiveClient(`http://127.0.0.1:${localPort}`, token, node.node_name);
    // A hive that was already running may hold an older callback address.
    await client.setCallback({ callback_url: callbackUrl, token: callbackToken, node_name: node.node_name });
    this.owned.add(node.node_name);
    return { client, connection, pid: state.data.pid, port: state.data.port };
  }
}

/** Runs a script on the node: its text (and the callback token in it) on stdin, never on a command line. */
function run(connection: NodeConnection, script: RemoteScript) {
  return connection.exec(script.command, { stdin: script.stdin });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
