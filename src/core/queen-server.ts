import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RbeeError } from "../shared/contract/index.js";
import { createHttpApp } from "./http/app.js";
import { hostPort, isLoopbackHost } from "../shared/net.js";
import { Queen, type QueenOptions } from "./queen.js";
import { QueenService } from "./service/queen-service.js";

export interface QueenServerOptions extends QueenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Allow binding beyond loopback (the API is then reachable from the network, token-protected). */
  readonly allowRemote?: boolean | undefined;
  readonly uiDir?: string | undefined;
  readonly log?: ((message: string) => void) | undefined;
}

/** A running queen: the core and its HTTP API. */
export interface QueenServer {
  readonly queen: Queen;
  /** The API on the core: what every transport (HTTP here, IPC in the desktop app) calls. */
  readonly service: QueenService;
  /** `http://HOST:PORT` */
  readonly baseUrl: string;
  readonly port: number;
  /** The UI's address with the token in the fragment, which browsers never send to a server. */
  readonly uiUrl: string;
  close(): Promise<void>;
}

/** Opens the registries and starts the HTTP API. */
export async function startQueenServer(options: QueenServerOptions): Promise<QueenServer> {
  if (!options.allowRemote && !isLoopbackHost(options.host)) {
    throw new RbeeError(
      "INVALID_REQUEST",
      `Refusing to listen on ${options.host}: not a loopback address. Pass --allow-remote to expose the API to the network.`,
    );
  }
  const log = options.log ?? ((message: string) => console.error(message));
  const queen = new Queen({ ...options, log });
  const service = new QueenService(queen, { log });
  const app = createHttpApp(service, { uiDir: options.uiDir, log });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      // Express 5 hands a failed bind to this callback (as well as to "error").
      const listening = app.listen(options.port, options.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
    });
  } catch (error) {
    await queen.close();
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "EADDRINUSE" ? "the port is in use" : code === "EACCES" ? "permission denied" : String(error);
    throw new RbeeError("INTERNAL", `Cannot listen on ${hostPort(options.host, options.port)}: ${reason}`);
  }
  const port = (server.address() as AddressInfo).port;
  queen.setHttpPort(port);
  queen.start();
  const baseUrl = `http://${hostPort(options.host, port)}`;
  let closing: Promise<void> | undefined;
  return {
    queen,
    service,
    baseUrl,
    port,
    uiUrl: `${baseUrl}/#token=${queen.token}`,
    close() {
      // Nodes first, while the callback tunnels still lead somewhere; then the API.
      closing ??= queen.close().then(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            // Event streams never end on their own.
            server.closeAllConnections();
          }),
      );
      return closing;
    },
  };
}
