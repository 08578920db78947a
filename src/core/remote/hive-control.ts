import { z } from "zod";
import { RBEE_VERSION, RbeeError, type Beehive } from "../../shared/contract/index.js";
import type { NodeConnection } from "../ssh/node-connection.js";
import type { NodeConnections } from "../ssh/node-connections.js";
import { HiveClient } from "./hive-client.js";
import { EXIT_HIVE_FAILED, EXIT_NOT_INSTALLED, hiveStartScript, hiveStopScript } from "./remote-scripts.js";

/** A node's running hive as the queen reaches it. */
export interface HiveHandle {
  readonly client: HiveClient;
  readonly connection: NodeConnection;
  readonly pid: number;
  readonly port: number;
}

const HiveState = z.object({ pid: z.number().int(), port: z.number().int(), version: z.string() });

export interface HiveControlOptions {
  /** The node's RBEE_HOME (default `~/.rbee`). */
  readonly nodeHome: string;
  /** The queen's own HTTP port on this machine (the target of the callback tunnel). */
  readonly queenPort: () => number;
  /** The token a node's hive relays worker callbacks with. */
  readonly nodeToken: (nodeName: string) => string;
  readonly log: (message: string) => void;
}

/**
 * Starts, finds and stops the hive on each node over SSH. A healthy hive of the same version is
 * reused; one of another version is replaced. Every (re)connection tells the hive the queen's
 * current callback address, because the remote forward's port changes with the connection.
 */
export class HiveControl {
  private readonly handles = new Map<string, Promise<HiveHandle>>();
  /** Nodes whose hive this queen started or adopted from a queen that died: stopped when it stops. */
  readonly owned = new Set<string>();

  constructor(
    private readonly connections: NodeConnections,
    private readonly options: HiveControlOptions,
  ) {}

  /** The node's hive, started if needed. NOT_INSTALLED when the programs are missing there. */
  ensure(node: Beehive): Promise<HiveHandle> {
    let handle = this.handles.get(node.node_name);
    if (!handle) {
      handle = this.open(node);
      this.handles.set(node.node_name, handle);
      handle.then(
        (opened) =>
          opened.connection.onDidClose(() => {
            if (this.handles.get(node.node_name) === handle) this.handles.delete(node.node_name);
          }),
        () => this.handles.delete(node.node_name),
      );
    }
    return handle;
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
    await connection.exec(hiveStopScript(this.options.nodeHome));
  }

  /** Forgets a node's handle (e.g. after a reinstall). */
  forget(nodeName: string): void {
    this.handles.delete(nodeName);
  }

  private async open(node: Beehive, replacing = false): Promise<HiveHandle> {
    const connection = await this.connections.get(node.node_name);
    const remotePort = await connection.remotePortFor(this.options.queenPort());
    const callbackUrl = `http://127.0.0.1:${remotePort}`;
    const callbackToken = this.options.nodeToken(node.node_name);
    const result = await connection.exec(
      hiveStartScript({
        installPath: node.install_path,
        nodeHome: this.options.nodeHome,
        nodeName: node.node_name,
        callbackUrl,
        callbackToken,
      }),
    );
    if (result.code === EXIT_NOT_INSTALLED) {
      throw new RbeeError("NOT_INSTALLED", `rbee is not installed on ${node.node_name}: run setup install first`);
    }
    if (result.code !== 0) {
      const reason = result.code === EXIT_HIVE_FAILED ? result.stderr.trim() : `exit ${result.code}: ${result.stderr.trim()}`;
      throw new RbeeError("WORKER_FAILED", `rbee-hive did not start on ${node.node_name}: ${reason.slice(-800)}`);
    }
    const [stateLine = "", tokenLine = ""] = result.stdout.split("\n").filter((line) => line.trim() !== "");
    const state = HiveState.safeParse(safeJson(stateLine));
    const token = tokenLine.trim();
    if (!state.success || token.length < 32) {
      throw new RbeeError("WORKER_FAILED", `rbee-hive on ${node.node_name} left an unreadable state file`);
    }
    if (state.data.version !== RBEE_VERSION && !replacing) {
      this.options.log(`${node.node_name}: replacing rbee-hive ${state.data.version} with ${RBEE_VERSION}`);
      await connection.exec(hiveStopScript(this.options.nodeHome));
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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
