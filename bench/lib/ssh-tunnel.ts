import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { Client } from "ssh2";

/** A loopback port leading to a port on the node through an SSH connection of the benchmark's own. */
export interface BenchTunnel {
  readonly url: string;
  close(): void;
}

/**
 * Opens an SSH local forward the way the queen does (src/core/ssh/node-connection.ts: one ssh2
 * connection, a loopback listener, one forwardOut channel per accepted socket, piped both ways),
 * optionally with TCP_NODELAY on both ends of the SSH connection: `setNoDelay` on the ssh2 socket
 * for what the queen sends, and a pty session, for which OpenSSH's sshd marks the connection
 * interactive and sets TCP_NODELAY on its side for what the node sends.
 */
export async function openTunnel(
  target: { readonly host: string; readonly port: number; readonly user: string; readonly keyPath: string },
  remotePort: number,
  options: { readonly noDelay: boolean },
): Promise<BenchTunnel> {
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once("ready", () => resolve());
    client.once("error", reject);
    client.connect({ host: target.host, port: target.port, username: target.user, privateKey: readFileSync(target.keyPath) });
  });
  if (options.noDelay) {
    client.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      client.exec("sleep 3600", { pty: true }, (error) => (error ? reject(error) : resolve()));
    });
  }
  const server: Server = createServer((socket: Socket) => {
    client.forwardOut("127.0.0.1", 0, "127.0.0.1", remotePort, (error, channel) => {
      if (error) {
        socket.destroy();
        return;
      }
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
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    close() {
      server.close();
      client.end();
    },
  };
}
