import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RBEE_VERSION, RbeeError } from "../shared/contract/index.js";
import { ownQueenState, removeQueenFile, writeQueenFile } from "../node-common/queen-file.js";
import { createApiListener } from "./http/app.js";
import { createCallbackApp } from "./http/callback-app.js";
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
  /**
   * Write RBEE_HOME/queen.json once listening and remove it on close, so that rbee-keeper finds
   * this queen without a URL: what the programs that host a queen do (queen-rbee, the desktop app).
   */
  readonly writeQueenFile?: boolean | undefined;
}

/** A running queen: the core and its HTTP API. */
export interface QueenServer {
  readonly queen: Queen;
  /** The API on the core: what every transport (HTTP here, IPC in the desktop app) calls. */
  readonly service: QueenService;
  /** `http://HOST:PORT` */
  readonly baseUrl: string;
  readonly port: number;
  /** The callback listener's loopback port: where every node's callback tunnel leads (worker callbacks only). */
  readonly callbackPort: number;
  /** The UI's address with the token in the fragment, which browsers never send to a server. */
  readonly uiUrl: string;
  close(): Promise<void>;
}

/**
 * The callback listener's limits. Anyone on a node can reach it through the tunnel: a flood of
 * connections is capped there, and a connection that sends nothing is cut, so the API port stays free.
 */
export const CALLBACK_LISTENER_LIMITS = {
  maxConnections: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  // A connection that sends nothing at all: the header timeouts only start with a request.
  idleTimeoutMs: 10_000,
} as const;

/** Opens the registries and starts the HTTP API and the callback listener. */
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
  const apiServer = createServer(createApiListener(service, { uiDir: options.uiDir, bindHost: options.host, log }));
  const callbackServer = createCallbackServer(service, log);
  let listening = "";
  try {
    listening = hostPort(options.host, options.port);
    await listen(apiServer, options.port, options.host);
    listening = "127.0.0.1 for the callback listener";
    await listen(callbackServer, 0, "127.0.0.1");
  } catch (error) {
    await Promise.all([stopListening(apiServer), stopListening(callbackServer)]);
    await queen.close();
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "EADDRINUSE" ? "the port is in use" : code === "EACCES" ? "permission denied" : String(error);
    throw new RbeeError("INTERNAL", `Cannot listen on ${listening}: ${reason}`);
  }
  const port = (apiServer.address() as AddressInfo).port;
  const callbackPort = (callbackServer.address() as AddressInfo).port;
  queen.setCallbackPort(callbackPort);
  queen.start();
  const baseUrl = `http://${hostPort(options.host, port)}`;
  if (options.writeQueenFile) {
    try {
      writeQueenFile(options.home, ownQueenState(`http://${hostPort(reachableHost(options.host), port)}`, RBEE_VERSION));
    } catch (error) {
      // The API runs without it: rbee-keeper then needs --queen-url or RBEE_QUEEN_PORT.
      log(`cannot write queen.json in ${options.home}: ${(error as Error).message}`);
    }
  }
  let closing: Promise<void> | undefined;
  return {
    queen,
    service,
    baseUrl,
    port,
    callbackPort,
    uiUrl: `${baseUrl}/#token=${queen.token}`,
    close() {
      // queen.json first: from now on no client should find this queen. Then the nodes, while the
      // callback tunnels still lead somewhere; then both listeners.
      if (options.writeQueenFile && !closing) {
        try {
          removeQueenFile(options.home);
        } catch (error) {
          log(`cannot remove queen.json in ${options.home}: ${(error as Error).message}`);
        }
      }
      closing ??= queen.close().then(async () => {
        await Promise.all([stopListening(apiServer), stopListening(callbackServer)]);
      });
      return closing;
    },
  };
}

/** Where a client on this machine reaches a queen bound to `host`: loopback for "every address". */
function reachableHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host;
}

/** Listens; rejects with the bind failure. */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The worker callbacks' own listener, with the limits above. */
function createCallbackServer(service: QueenService, log: (message: string) => void): Server {
  const limits = CALLBACK_LISTENER_LIMITS;
  const server = createServer(
    { requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
    createCallbackApp(service, { log }),
  );
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.timeout = limits.idleTimeoutMs;
  return server;
}

function stopListening(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Event streams never end on their own.
    server.closeAllConnections();
  });
}
