import { appendFileSync, closeSync, fchmodSync, openSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { RbeeError } from "../shared/contract/index.js";
import { rbeeHome } from "../node-common/home.js";
import { queenPaths } from "./paths.js";
import { MIN_API_TOKEN_LENGTH } from "./queen.js";
import { startQueenServer } from "./queen-server.js";

const USAGE = `Usage: queen-rbee [--host 127.0.0.1] [--port 8080] [--allow-remote] [--keep-nodes-running] [--no-local-node]

Runs the rbee orchestrator headless. State lives in RBEE_HOME (default ~/.rbee).
  --host HOST            address to bind (env RBEE_QUEEN_HOST; loopback unless --allow-remote)
  --port PORT            port to bind, 0 for a free one (env RBEE_QUEEN_PORT)
  --allow-remote         allow a non-loopback --host
  --keep-nodes-running   leave hives and workers running when the queen stops
  --no-local-node        do not add this computer as the node "local" on the first start
                         (env RBEE_LOCAL_NODE=0); once removed it is not added again anyway

The UI's link (it carries the token) is printed when stdout is a terminal, else written to
RBEE_HOME/logs/ui-url. While it runs, RBEE_HOME/queen.json says where it listens: rbee-keeper
finds it there, whatever --port.

Environment: RBEE_HOME, RBEE_TOKEN (the API token, 32+ characters; default RBEE_HOME/token),
RBEE_QUEEN_HOST, RBEE_QUEEN_PORT, RBEE_NODE_HOME (RBEE_HOME on the nodes, default ~/.rbee),
RBEE_WORKER_THREADS (threads per spawned worker), RBEE_HEARTBEAT_MS (workers' heartbeat, default 5000),
RBEE_HEALTH_INTERVAL_MS (node health checks, default 10000), RBEE_LOCAL_NODE (0: no local node),
RBEE_MODEL_CATALOG (a JSON file of models that overrides the built-in catalog the UI offers).`;

/** The package root, from dist/core/queen-cli.js or src/core/queen-cli.ts. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** `queen-rbee`: parses flags, starts the server, stops cleanly on SIGINT/SIGTERM. Returns the exit code. */
export async function runQueenCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        host: { type: "string" },
        port: { type: "string" },
        "allow-remote": { type: "boolean", default: false },
        "keep-nodes-running": { type: "boolean", default: false },
        "no-local-node": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`queen-rbee: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const host = flags.host ?? env.RBEE_QUEEN_HOST ?? "127.0.0.1";
  const portText = flags.port ?? env.RBEE_QUEEN_PORT ?? "8080";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    console.error(`queen-rbee: --port must be a number from 0 to 65535, not "${portText}"`);
    return 1;
  }
  const token = env.RBEE_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < MIN_API_TOKEN_LENGTH) {
    console.error(
      `queen-rbee: RBEE_TOKEN must be at least ${MIN_API_TOKEN_LENGTH} characters (it has ${token.length}); unset it to use the random token in RBEE_HOME/token`,
    );
    return 1;
  }
  const home = rbeeHome(env);
  const logFile = join(queenPaths(home).logs, "queen.log");
  const log = (message: string): void => {
    const line = `${new Date().toISOString()} ${message}`;
    console.error(line);
    try {
      appendFileSync(logFile, `${line}\n`);
    } catch {
      // A full disk must not take the API down with it.
    }
  };
  // Listening before the server starts: a SIGTERM right after the ready line (a service manager,
  // a test) must still close the queen, so that its queen.json goes with it. A second signal,
  // with these removed, kills as usual.
  const stopSignals = ["SIGINT", "SIGTERM"] as const;
  let stop: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolveStop) => {
    stop = (signal) => {
      for (const name of stopSignals) process.off(name, stop);
      resolveStop(signal);
    };
    for (const name of stopSignals) process.on(name, stop);
  });
  try {
    const server = await startQueenServer({
      home,
      host,
      port,
      allowRemote: flags["allow-remote"],
      token,
      nodeHome: env.RBEE_NODE_HOME?.trim() || undefined,
      workerThreads: positiveInt(env.RBEE_WORKER_THREADS),
      heartbeatMs: positiveInt(env.RBEE_HEARTBEAT_MS),
      healthIntervalMs: positiveInt(env.RBEE_HEALTH_INTERVAL_MS),
      copyMaxBytesPerSecond: positiveInt(env.RBEE_COPY_MAX_BYTES_PER_S),
      keepNodesRunning: flags["keep-nodes-running"],
      addLocalNode: !flags["no-local-node"] && env.RBEE_LOCAL_NODE?.trim() !== "0",
      modelCatalogFile: env.RBEE_MODEL_CATALOG?.trim() || undefined,
      installRoot: PACKAGE_ROOT,
      uiDir: join(PACKAGE_ROOT, "out", "renderer"),
      log,
      writeQueenFile: true,
    });
    console.log(`queen-rbee listening on ${server.baseUrl}`);
    console.log(announceUi(server.uiUrl, { tty: process.stdout.isTTY === true, logs: queenPaths(home).logs }));
    log(`started on ${server.baseUrl} (RBEE_HOME ${home})`);
    log(`${await stopped}: stopping`);
    await server.close();
    return 0;
  } catch (error) {
    for (const name of stopSignals) process.off(name, stop);
    const message = error instanceof RbeeError ? error.message : String(error);
    console.error(`queen-rbee: ${message}`);
    return 1;
  }
}

/**
 * The line that tells where the UI is. Its link carries the token, so it goes to a terminal only:
 * when stdout is a pipe or a file (a service manager's log, CI output), the link is written to
 * `logs/ui-url` (0600, like the token file) and the line names that file instead.
 */
export function announceUi(uiUrl: string, options: { readonly tty: boolean; readonly logs: string }): string {
  if (options.tty) return `Open the UI: ${uiUrl}`;
  const file = join(options.logs, "ui-url");
  // Made 0600 before the link is written, even when an older file had another mode.
  const fd = openSync(file, "w", 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${uiUrl}\n`);
  } finally {
    closeSync(fd);
  }
  return `Open the UI with the link in ${file} (not printed: stdout is not a terminal, and the link carries the token)`;
}

function positiveInt(text: string | undefined): number | undefined {
  if (!text || !/^\d+$/.test(text.trim())) return undefined;
  const value = Number(text);
  return value > 0 ? value : undefined;
}
