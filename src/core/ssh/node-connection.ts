import { createServer, connect, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type ssh2 from "ssh2";
import { RbeeError, type Beehive } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import { installOnNode } from "../remote/installer.js";
import { SH_STDIN_COMMAND } from "../remote/remote-scripts.js";
import { NODE_OWN_HOME } from "./shell.js";
import type { ExecListener, ExecResult, NodeConnection, NodeListener } from "../transport/node-connection.js";

/**
 * One open SSH connection to one node, shared by everything that talks to it: commands, local
 * forwards (queen → hive/worker on the node's loopback) and one remote forward (node → queen).
 */
export class SshNodeConnection implements NodeConnection {
  /** Node.js as the node's login PATH (with the scripts' usual additions) finds it. */
  readonly nodeCommand = "node";
  private readonly localForwards = new Map<number, Promise<{ server: Server; port: number }>>();
  private remoteForward: Promise<number> | undefined;
  /** What takes each connection to a port the queen listens on at the node (its remote forwards). */
  private readonly onNode = new Map<number, (channel: ssh2.ClientChannel) => void>();
  private readonly closed = new Emitter<void>();
  private isClosed = false;

  constructor(
    readonly nodeName: string,
    readonly client: ssh2.Client,
    readonly fingerprint: string,
    /** RBEE_HOME on the node, as its shell reads it (`~/.rbee` by default). */
    readonly nodeHome = NODE_OWN_HOME,
  ) {
    client.on("close", () => this.markClosed());
    client.on("end", () => this.markClosed());
    client.on("error", () => this.markClosed());
    // One dispatcher for every remote forward: a connection to a port nobody listens on any more
    // (closed between the node's accept and this) is refused rather than left open.
    client.on("tcp connection", (info, accept, reject) => {
      const take = this.onNode.get(info.destPort);
      if (take) take(accept());
      else reject();
    });
    holdInteractiveSession(client);
  }

  /** Fires once when the connection is gone. */
  readonly onDidClose = (listener: () => void) => this.closed.on(listener);

  get alive(): boolean {
    return !this.isClosed;
  }

  installPath(node: Beehive): string {
    return node.install_path;
  }

  /** Clones or updates the node's checkout and runs the lean node install there. */
  install(node: Beehive, onStep: (message: string) => void): Promise<{ readonly changed: boolean }> {
    return installOnNode(this, node, onStep);
  }

  /** Runs a command to completion, streaming its output to `listener` as it comes. */
  exec(command: string, listener: ExecListener = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) {
        reject(this.closedError());
        return;
      }
      // The deadline runs from here, not from the channel's opening: over a half-open link the
      // server never answers the open, and a health check must still end.
      let opened: ssh2.ClientChannel | undefined;
      let timedOut = false;
      const timer =
        listener.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              opened?.close();
              reject(new RbeeError("SSH_FAILED", `SSH command on ${this.nodeName} timed out after ${listener.timeoutMs} ms`));
            }, listener.timeoutMs);
      this.client.exec(command, (error, stream) => {
        if (error) {
          clearTimeout(timer);
          reject(new RbeeError("SSH_FAILED", `SSH command on ${this.nodeName} could not start: ${error.message}`));
          return;
        }
        // Opened after its deadline: nobody waits for it any more.
        if (timedOut) {
          stream.close();
          return;
        }
        opened = stream;
        const stdout: string[] = [];
        const stderr: string[] = [];
        stream.setEncoding("utf8");
        stream.stderr.setEncoding("utf8");
        stream.on("data", (text: string) => {
          stdout.push(text);
          listener.onStdout?.(text);
        });
        stream.stderr.on("data", (text: string) => {
          stderr.push(text);
          listener.onStderr?.(text);
        });
        stream.on("close", (code: number | null) => {
          clearTimeout(timer);
          resolve({ stdout: stdout.join(""), stderr: stderr.join(""), code: code ?? -1 });
        });
        if (listener.stdin !== undefined) stream.end(listener.stdin);
      });
    });
  }

  /**
   * A loopback port on this machine that leads to `127.0.0.1:remotePort` on the node through the
   * SSH connection (like `ssh -L`). One listener per remote port, reused.
   */
  async localPortFor(remotePort: number): Promise<number> {
    let forward = this.localForwards.get(remotePort);
    if (!forward) {
      forward = this.openLocalForward(remotePort);
      this.localForwards.set(remotePort, forward);
      forward.catch(() => this.localForwards.delete(remotePort));
    }
    return (await forward).port;
  }

  /** One SSH channel to `127.0.0.1:remotePort` on the node (like one connection through `ssh -L`), shaped like a socket for node:http. */
  openStream(remotePort: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) {
        reject(this.closedError());
        return;
      }
      this.client.forwardOut("127.0.0.1", 0, "127.0.0.1", remotePort, (error, channel) => {
        if (error) {
          reject(new RbeeError("SSH_FAILED", `Cannot reach port ${remotePort} on ${this.nodeName}: ${error.message}`));
          return;
        }
        resolve(socketShaped(channel));
      });
    });
  }

  /**
   * A loopback port on the node that leads to `127.0.0.1:localPort` here (like `ssh -R`): how
   * workers reach the queen's callback routes. Its number changes on every new connection.
   */
  remotePortFor(localPort: number): Promise<number> {
    this.remoteForward ??= this.forwardIn((channel) => pipeBothWays(connect(localPort, "127.0.0.1"), channel)).then(
      ({ port }) => port,
      (error: Error) => {
        this.remoteForward = undefined;
        throw new RbeeError("SSH_FAILED", `Cannot open the callback tunnel on ${this.nodeName}: ${error.message}`);
      },
    );
    return this.remoteForward;
  }

  /**
   * A loopback port on the node of its own (a remote forward, like `ssh -R 0:…`), whose every
   * connection arrives here as an SSH channel; closing it cancels the forward on the node.
   */
  async listenOnNode(onStream: (stream: Duplex) => void): Promise<NodeListener> {
    try {
      return await this.forwardIn((channel) => onStream(socketShaped(channel)));
    } catch (error) {
      throw new RbeeError("SSH_FAILED", `Cannot listen on ${this.nodeName}'s loopback: ${(error as Error).message}`);
    }
  }

  private forwardIn(take: (channel: ssh2.ClientChannel) => void): Promise<NodeListener> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) {
        reject(this.closedError());
        return;
      }
      try {
        this.client.forwardIn("127.0.0.1", 0, (error, port) => {
          if (error) {
            reject(error);
            return;
          }
          this.onNode.set(port, take);
          let open = true;
          resolve({
            port,
            close: () => {
              if (!open) return;
              open = false;
              this.onNode.delete(port);
              if (this.isClosed) return;
              try {
                this.client.unforwardIn("127.0.0.1", port, () => undefined);
              } catch {
                // The connection is going away: its forwards go with it.
              }
            },
          });
        });
      } catch (error) {
        // ssh2 throws rather than calls back when its socket is no longer writable.
        reject(error as Error);
      }
    });
  }

  close(): void {
    this.client.end();
    this.markClosed();
  }

  private openLocalForward(remotePort: number): Promise<{ server: Server; port: number }> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        this.client.forwardOut("127.0.0.1", 0, "127.0.0.1", remotePort, (error, channel) => {
          if (error) {
            socket.destroy();
            return;
          }
          pipeBothWays(socket, channel);
        });
      });
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        resolve({ server, port: typeof address === "object" && address ? address.port : 0 });
      });
    });
  }

  private markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const forward of this.localForwards.values()) {
      forward.then(({ server }) => server.close()).catch(() => {});
    }
    this.localForwards.clear();
    this.closed.fire();
  }

  private closedError(): RbeeError {
    return new RbeeError("SSH_FAILED", `SSH connection to ${this.nodeName} is closed`);
  }
}

/**
 * Keeps one session with a pty open for the connection's life, which is what makes OpenSSH's sshd
 * deem the connection interactive and set TCP_NODELAY on its end. Without it, what the node sends
 * back in small writes (a worker's `started`, an rpc-server's replies) waits for the queen's delayed
 * ACK: tens of ms per exchange (measured in bench/, "a tunnel with ssh2 and sshd defaults"). The
 * session's `sleep` ends with the connection (the pty's hangup). A node that refuses a pty
 * (`PermitTTY no`, `no-pty` in authorized_keys) still works, only without TCP_NODELAY on its end.
 */
function holdInteractiveSession(client: ssh2.Client): void {
  // The one command every script is run with; the script comes on the pty as its stdin.
  client.exec(SH_STDIN_COMMAND, { pty: { term: "dumb" } }, (error, stream) => {
    if (error) return;
    stream.write("exec sleep 2147483647\n");
    stream.on("data", () => undefined);
    stream.stderr.on("data", () => undefined);
    stream.on("error", () => undefined);
  });
}

/** An SSH channel with the knobs node:http calls on a socket (a channel has none). */
function socketShaped(channel: ssh2.Channel): Duplex {
  const noop = (): void => undefined;
  return Object.assign(channel, { setKeepAlive: noop, setNoDelay: noop, setTimeout: noop, ref: noop, unref: noop, destroySoon: () => channel.destroy() });
}

function pipeBothWays(socket: Socket, channel: ssh2.Channel): void {
  socket.setNoDelay(true);
  socket.pipe(channel).pipe(socket);
  const end = (): void => {
    socket.destroy();
    channel.destroy();
  };
  socket.on("error", end);
  socket.on("close", end);
  channel.on("error", end);
  channel.on("close", end);
}
