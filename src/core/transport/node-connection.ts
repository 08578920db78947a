import type { Duplex } from "node:stream";
import type { Beehive } from "../../shared/contract/index.js";

/** Output of a finished command on a node. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** A port on a node's loopback that leads back to this process; `close` stops it taking connections. */
export interface NodeListener {
  readonly port: number;
  close(): void;
}

/** Receives a command's output as it arrives; `timeoutMs` bounds the whole command. */
export interface ExecListener {
  readonly onStdout?: (text: string) => void;
  readonly onStderr?: (text: string) => void;
  readonly timeoutMs?: number;
  /**
   * Written to the command's stdin, which is then closed. Where scripts and secrets go: a command
   * text is on the node's process list (`/proc/PID/cmdline`) for every user there, stdin is not.
   */
  readonly stdin?: string;
}

/**
 * The queen's way to one node, whatever the transport: commands run there, a port here that leads
 * to a port on the node's loopback (hive, workers), one there that leads back here (the workers'
 * callbacks), and what the node's side looks like (its home, its installation, how it is
 * installed). An SSH connection (src/core/ssh) and this computer (`local`) implement it; nothing
 * else in the core knows which one it has.
 */
export interface NodeConnection {
  readonly nodeName: string;
  readonly alive: boolean;
  /** The node's RBEE_HOME as its shell reads it (hive state, models, logs). */
  readonly nodeHome: string;
  /** How the node's shell starts Node.js, already quoted for it. */
  readonly nodeCommand: string;
  /** Where the rbee programs the node's hive runs from are. */
  installPath(node: Beehive): string;
  /** Installs or updates rbee there, reporting steps; answers whether anything changed. */
  install(node: Beehive, onStep: (message: string) => void): Promise<{ readonly changed: boolean }>;
  /** Runs a command to completion, streaming its output to `listener` as it comes. */
  exec(command: string, listener?: ExecListener): Promise<ExecResult>;
  /** A loopback port on this machine that leads to `127.0.0.1:remotePort` on the node. */
  localPortFor(remotePort: number): Promise<number>;
  /**
   * One stream to `127.0.0.1:remotePort` on the node, without a listener here: what a bulk
   * transfer (a model copy) speaks HTTP over, one hop shorter than through `localPortFor`.
   */
  openStream(remotePort: number): Promise<Duplex>;
  /** A loopback port on the node that leads to `127.0.0.1:localPort` here. */
  remotePortFor(localPort: number): Promise<number>;
  /**
   * A loopback port on the node of its own, whose every connection arrives here as a stream,
   * without any listener on this machine: how a shard's tunnel takes llama-server's connections
   * on the main node and carries them to another node's rpc-server.
   */
  listenOnNode(onStream: (stream: Duplex) => void): Promise<NodeListener>;
  /** Fires once when the connection is gone. */
  onDidClose(listener: () => void): () => void;
  close(): void;
}
