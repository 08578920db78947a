import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { HiveStateFile, RBEE_VERSION, RbeeError } from "../shared/contract/index.js";
import { checkDownloadUrl } from "../shared/contract/model-ref.js";
import { isLoopbackHost, urlHost } from "../shared/net.js";
import type { HiveDevices } from "../shared/contract/index.js";
import type { NodeDevices } from "./devices.js";
import { EngineCatalog, primaryBackend, usableEngines } from "./engines.js";
import { DeviceMonitor } from "./gpu/device-monitor.js";
import { LlamaBuilder } from "./llama-build.js";
import { freeWithinLimit, memoryLimit } from "./memory-limit.js";
import { hivePaths, loadHiveToken } from "./hive-home.js";
import { openHiveLog } from "./logs/hive-log.js";
import { WorkerLogs } from "./logs/worker-logs.js";
import { ModelStore } from "./models/model-store.js";
import { WorkerPidFile } from "./orphan-reaper.js";
import { QueenRelay } from "./queen-relay.js";
import { RpcServers } from "./rpc-servers.js";
import { createHiveApp } from "./server.js";
import { WorkerPool } from "./worker-pool.js";

/** How to run a hive. */
export interface HiveDaemonOptions {
  readonly host: string;
  readonly port: number;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  /** The queen's callback base URL and token, when known at start (else `POST /v1/callback`). */
  readonly callbackUrl?: string;
  readonly callbackToken?: string;
  readonly nodeName?: string;
  readonly workerBin?: string;
  readonly workerHeartbeatMs?: number;
  /** Where log lines go besides RBEE_HOME/logs/hive.log, when stderr is not that file already. */
  readonly log: (line: string) => void;
}

/** A running hive. */
export interface RunningHive {
  readonly url: string;
  /** Stops every worker (SIGTERM, then SIGKILL after a grace time), then the HTTP server. */
  close(): Promise<void>;
  /** Kills every worker at once (a second Ctrl+C). */
  kill(): void;
  /** Writes one line to the hive's log. */
  log(message: string): void;
}

/** The worker program next to this module once built: `dist/bin/llm-worker-rbee.js`. */
export function defaultWorkerBin(): string {
  return fileURLToPath(new URL("../bin/llm-worker-rbee.js", import.meta.url));
}

/**
 * Starts `rbee-hive daemon`: refuses a non-loopback bind, stops workers left behind by a hive
 * that died, then serves the API on `host:port` (0 picks a free port).
 */
export async function startHive(options: HiveDaemonOptions): Promise<RunningHive> {
  if (!isLoopbackHost(options.host)) {
    throw new RbeeError("INVALID_REQUEST", `rbee-hive binds to loopback only (127.0.0.1, ::1 or localhost), not '${options.host}': the queen reaches it over SSH`);
  }
  if (options.callbackUrl !== undefined) {
    checkDownloadUrl(options.callbackUrl, "--callback-url");
    if (!options.callbackToken) throw new RbeeError("INVALID_REQUEST", "--callback-url needs --token (or RBEE_CALLBACK_TOKEN)");
  }
  const limit = memoryLimit(options.env);
  const paths = hivePaths(options.home);
  const hiveLog = openHiveLog(join(paths.logs, "hive.log"), options.log);
  const log = hiveLog.log;
  const token = loadHiveToken(paths.token, options.env);
  const relay = new QueenRelay(log);
  let nodeName = options.nodeName;
  if (options.callbackUrl !== undefined && options.callbackToken) {
    relay.configure({ url: options.callbackUrl, token: options.callbackToken, ...(nodeName ? { nodeName } : {}) });
  }
  const pidFile = new WorkerPidFile(paths.home);
  await pidFile.reapOrphans(log);
  const workerLogs = new WorkerLogs(paths.logs);
  workerLogs.prune();

  const models = new ModelStore(paths.models, options.env, {}, () => nodeName);
  const monitor = new DeviceMonitor({ path: options.env.PATH });
  monitor.start();
  const engines = new EngineCatalog({ env: options.env });
  const builder = new LlamaBuilder({ env: options.env, engines, logsDir: paths.logs, log });
  let url = "";
  // RBEE_MEMORY_LIMIT_BYTES: the RAM this node gives rbee, less what its workers and rpc-servers hold already.
  let inUse = (): number => 0;
  const limited = (devices: NodeDevices): NodeDevices => ({ ...devices, ram_free_bytes: freeWithinLimit(devices.ram_free_bytes, limit, inUse()) });
  const nodeDevices = async (): Promise<NodeDevices> => limited(await monitor.current());
  const rpcServers = new RpcServers({ env: options.env, engines, devices: nodeDevices, logs: workerLogs, pidFile, log });
  const pool = new WorkerPool({
    workerBin: options.workerBin ?? defaultWorkerBin(),
    hiveUrl: () => url,
    logs: workerLogs,
    models,
    relay,
    // A spawn's capacity check reads the memory now; the API answers the last poll.
    devices: async () => limited(await monitor.fresh()),
    engines,
    builder,
    pidFile,
    log,
    nodeName: () => nodeName,
    ...(options.workerHeartbeatMs !== undefined ? { workerHeartbeatMs: options.workerHeartbeatMs } : {}),
  });
  inUse = () => pool.memoryInUse() + rpcServers.memoryInUse();
  const devices = async (): Promise<HiveDevices> => {
    const node = await nodeDevices();
    const engineStatus = await engines.statuses(primaryBackend(node.backends));
    return { ...node, engines: usableEngines(engineStatus), engine_status: engineStatus };
  };
  const app = createHiveApp({
    token,
    pool,
    models,
    relay,
    devices,
    nodeDevices,
    builder,
    rpcServers,
    logs: { hive: hiveLog.file, workers: workerLogs },
    log,
    onNodeName: (name) => {
      nodeName = name;
    },
  });

  const server: Server = await new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      const inUse = error.code === "EADDRINUSE";
      reject(inUse ? new RbeeError("INVALID_REQUEST", `Port ${options.port} on ${options.host} is in use (is another rbee-hive running?): choose another with --port`) : error);
    };
    const listening = app.listen(options.port, options.host, (error?: Error) => (error ? failed(error) : resolve(listening)));
    listening.once("error", failed);
  });
  const address = server.address() as AddressInfo;
  url = `http://${urlHost(address.address)}:${address.port}`;
  const state = { pid: process.pid, port: address.port, url, version: RBEE_VERSION, node_name: options.nodeName ?? null } satisfies HiveStateFile;
  // One line of compact JSON: the queen's scripts read `"pid":N` from it with sed.
  writeFileSync(paths.state, `${JSON.stringify(state)}\n`, { mode: 0o600 });

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        monitor.stop();
        builder.stopAll();
        await Promise.all([rpcServers.stopAll(), pool.stopAll()]);
        pidFile.remove();
        removeOwnState(paths.state);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
    kill() {
      rpcServers.killAll();
      pool.killAll();
    },
    log,
  };
}

/** Removes the state file if it still names this process (a newer hive may have replaced it). */
function removeOwnState(path: string): void {
  try {
    const state = HiveStateFile.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (state.success && state.data.pid === process.pid) unlinkSync(path);
  } catch {
    // Already gone.
  }
}
