import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import type { Duplex } from "node:stream";
import { RbeeError, type Beehive } from "../../shared/contract/index.js";
import { shellQuote } from "../ssh/shell.js";
import type { ExecListener, ExecResult, NodeConnection, NodeListener } from "./node-connection.js";

/** Where this computer's node lives: the queen's own home and installation. */
export interface LocalNodeOptions {
  /** The queen's RBEE_HOME: the local hive keeps its state (and models) there too. */
  readonly home: string;
  /** The queen's own installation, which holds dist/bin/rbee-hive.js. */
  readonly installPath: string;
  /** The Node.js the hive runs on; default this process's. */
  readonly nodeBinary?: string | undefined;
}

// The queen's own settings and secrets stay out of what runs on its node, as on any other node.
const QUEEN_ONLY_ENV = /^(RBEE_|SSH_AUTH_SOCK$)/;

/**
 * This computer as a node: commands run in a local `sh`, ports are the same on both sides (the
 * hive and workers listen on this loopback and call the queen's callback listener directly), and
 * there is nothing to install: the hive runs from the queen's own installation. It never closes.
 */
export class LocalNodeConnection implements NodeConnection {
  readonly alive = true;
  readonly nodeHome: string;
  readonly nodeCommand: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly nodeName: string,
    private readonly options: LocalNodeOptions,
  ) {
    this.nodeHome = options.home;
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !QUEEN_ONLY_ENV.test(name)));
    // Inside Electron this process's binary is the app: it runs scripts as Node.js when told to.
    this.env = process.versions.electron ? { ...env, ELECTRON_RUN_AS_NODE: "1" } : env;
    this.nodeCommand = shellQuote(options.nodeBinary ?? process.execPath);
  }

  installPath(_node: Beehive): string {
    return this.options.installPath;
  }

  async install(_node: Beehive, onStep: (message: string) => void): Promise<{ readonly changed: boolean }> {
    onStep("Nothing to install: this computer runs the hive from the queen's own installation");
    return { changed: false };
  }

  exec(command: string, listener: ExecListener = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      // A session of its own: a hive it starts outlives the queen's terminal (Ctrl+C reaches the queen
      // only), as a hive started over SSH does; the queen stops it on its way out unless told not to.
      const child = spawn("/bin/sh", ["-c", command], { env: this.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
      const stdout: string[] = [];
      const stderr: string[] = [];
      const timer =
        listener.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              child.kill("SIGKILL");
              reject(new RbeeError("WORKER_FAILED", `A command on this computer timed out after ${listener.timeoutMs} ms`));
            }, listener.timeoutMs);
      child.stdout.setEncoding("utf8");
      child.stderr.setEncoding("utf8");
      child.stdout.on("data", (text: string) => {
        stdout.push(text);
        listener.onStdout?.(text);
      });
      child.stderr.on("data", (text: string) => {
        stderr.push(text);
        listener.onStderr?.(text);
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new RbeeError("WORKER_FAILED", `Could not run a command on this computer: ${error.message}`));
      });
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ stdout: stdout.join(""), stderr: stderr.join(""), code: code ?? -1 });
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(listener.stdin ?? "");
    });
  }

  async localPortFor(remotePort: number): Promise<number> {
    return remotePort;
  }

  openStream(remotePort: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect(remotePort, "127.0.0.1");
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
    });
  }

  async remotePortFor(localPort: number): Promise<number> {
    return localPort;
  }

  /** A plain listener on this loopback: this computer's side and the node's are the same. */
  listenOnNode(onStream: (stream: Duplex) => void): Promise<NodeListener> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        socket.setNoDelay(true);
        onStream(socket);
      });
      server.once("error", (error) => reject(new RbeeError("WORKER_FAILED", `Cannot listen on this computer's loopback: ${error.message}`)));
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : 0;
        resolve({ port, close: () => server.close() });
      });
    });
  }

  onDidClose(_listener: () => void): () => void {
    return () => undefined;
  }

  close(): void {
    // Nothing to close: a command that failed here does not mean this computer went away.
  }
}
