import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { type AddressInfo, connect, createServer } from "node:net";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import {
  type Backend,
  type HiveRpcServer,
  RbeeError,
  RpcServerStartRequest,
  parseOrThrow,
} from "../shared/contract/index.js";
import { physicalCores, defaultThreads } from "./cpu-cores.js";
import type { NodeDevices } from "./devices.js";
import type { EngineCatalog } from "./engines.js";
import { findOnPath } from "./gpu/find-on-path.js";
import type { RotatingLog } from "./logs/rotating-log.js";
import type { WorkerLogs } from "./logs/worker-logs.js";
import type { WorkerPidFile } from "./orphan-reaper.js";
import { type RpcDevice, RpcTensorTally, isChattyDebugLine, parseDeviceLine } from "./rpc-server-output.js";
import { processRssBytes } from "./memory-limit.js";

/** What the rpc-servers need from the daemon around them. */
export interface RpcServersOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly engines: EngineCatalog;
  readonly devices: () => Promise<NodeDevices>;
  /** Each server's output goes to `worker-<id>.log` beside the workers' (`GET /v1/logs?worker=<id>` reads it). */
  readonly logs: WorkerLogs;
  readonly pidFile: WorkerPidFile;
  readonly log: (line: string) => void;
  /** How long a server gets to accept connections after it starts. */
  readonly readyTimeoutMs?: number;
  readonly stopGraceMs?: number;
}

/** The only address an rpc-server binds: it has no authentication, the queen reaches it through SSH tunnels. */
export const RPC_HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;
const TAIL_LINES = 10;
/** Environment variables a server must not inherit: the hive's own secrets. */
const PRIVATE_ENV = ["RBEE_HIVE_TOKEN", "RBEE_CALLBACK_TOKEN", "RBEE_TOKEN", "HF_TOKEN"];
/** ggml-rpc-server's answer when its port was taken between our choice and its bind. */
const PORT_TAKEN = /Failed to create server socket/;

/** llama.cpp's name of a backend's device, what `ggml-rpc-server -d` takes (`CPU`, `CUDA0`, `Vulkan1`, `MTL0`). */
export function llamaDeviceName(backend: Backend, device: number): string {
  switch (backend) {
    case "cpu":
      return "CPU";
    case "cuda":
      return `CUDA${device}`;
    case "vulkan":
      return `Vulkan${device}`;
    case "metal":
      return `MTL${device}`;
  }
}

/** A free port on the loopback now (the server may still lose it to another process: start retries). */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, RPC_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts a TCP connection on the loopback port now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: RPC_HOST, port });
    socket.setTimeout(1000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

class PortTaken extends Error {}

/** One ggml-rpc-server this hive runs. */
class RunningRpcServer {
  device: RpcDevice | undefined;
  stopping = false;
  readonly tally = new RpcTensorTally();
  readonly tail: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Settles once its output pipes are closed (its last lines read). */
  readonly closed: Promise<void>;
  private accepted: (() => void) | undefined;

  constructor(
    readonly id: string,
    readonly child: ChildProcess,
    readonly port: number,
    readonly backend: Backend,
    readonly deviceIndex: number,
    readonly workerId: string | undefined,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    this.closed = new Promise((resolve) => child.once("close", () => resolve()));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves on its next "Accepted client connection" (a connection that reached this very process). */
  nextAccept(): Promise<void> {
    return new Promise((resolve) => {
      this.accepted = resolve;
    });
  }

  onStdout(line: string): void {
    this.device ??= parseDeviceLine(line);
    if (line.startsWith("Accepted client connection")) {
      this.accepted?.();
      this.accepted = undefined;
    }
  }

  onStderr(line: string): void {
    this.tally.line(line);
    if (line.trim() === "" || line.startsWith("[") || line.startsWith("recv returned")) return;
    this.tail.push(line.trim());
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  lastWords(): string {
    const last = this.tail.at(-1);
    return last ? `: ${last}` : "";
  }

  view(): HiveRpcServer {
    const bufferBytes = this.tally.bufferBytes;
    return {
      id: this.id,
      pid: this.pid,
      port: this.port,
      backend: this.backend,
      device: this.deviceIndex,
      device_name: this.device?.name ?? llamaDeviceName(this.backend, this.deviceIndex),
      // Its banner's free memory, less what its client has allocated since.
      free_bytes: Math.max(0, (this.device?.freeBytes ?? 0) - bufferBytes),
      total_bytes: this.device?.totalBytes ?? 0,
      buffer_bytes: bufferBytes,
      tensors: this.tally.tensors,
      ...(this.workerId !== undefined ? { worker_id: this.workerId } : {}),
    };
  }
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
}

/**
 * The rpc-servers of this hive (llama.cpp's `ggml-rpc-server`, each holding a shard of a model split
 * across machines): started on a free loopback port and never any other address, watched through
 * their debug output (what they hold), dying with the hive (a parent-death signal where `setpriv`
 * exists, stopped on shutdown, reaped from the run file after a kill -9), and dropped from the list
 * when they exit.
 */
export class RpcServers {
  private readonly servers = new Map<string, RunningRpcServer>();
  private readonly starting = new Set<Promise<unknown>>();
  private readonly setpriv: string | undefined;
  private closing = false;

  constructor(private readonly options: RpcServersOptions) {
    this.setpriv = process.platform === "linux" ? findOnPath("setpriv", options.env.PATH) : undefined;
  }

  /** The servers running now. */
  list(): HiveRpcServer[] {
    return [...this.servers.values()].map((server) => server.view());
  }

  /** Bytes of RAM the servers take now: their resident size where readable, else the buffers they report. */
  memoryInUse(): number {
    let total = 0;
    for (const server of this.servers.values()) total += processRssBytes(server.pid) ?? server.tally.bufferBytes;
    return total;
  }

  /**
   * Starts one server for `body` (RpcServerStartRequest) and answers once it accepts connections:
   * ENGINE_UNAVAILABLE when rpc-server is not built here (build it with `POST /v1/engines/build`),
   * BACKEND_UNAVAILABLE for a device the node lacks, WORKER_FAILED (with its stderr) when it does
   * not come up within the ready timeout.
   */
  async start(body: unknown): Promise<HiveRpcServer> {
    if (this.closing) throw new RbeeError("NO_CAPACITY", "The hive is stopping");
    const request = parseOrThrow(RpcServerStartRequest, body, "rpc-server request");
    const backend = request.backend as Backend;
    const device = request.device as number;
    await this.checkDevice(backend, device);
    const program = this.options.engines.find("rpc-server", backend);
    if (!program) {
      const status = await this.options.engines.status("rpc-server", backend);
      throw new RbeeError(
        "ENGINE_UNAVAILABLE",
        status.state === "buildable"
          ? `rpc-server is not built on this node yet (${status.detail}): build it with POST /v1/engines/build first`
          : `rpc-server cannot run on this node: ${status.detail}`,
      );
    }
    const threads = request.threads ?? defaultThreads(physicalCores());
    const id = `rpc-${randomBytes(6).toString("hex")}`;
    const attempt = (async () => {
      for (let tries = 1; ; tries += 1) {
        const port = await freeLoopbackPort();
        try {
          return await this.launch(program.path, { id, port, backend, device, threads, workerId: request.worker_id });
        } catch (error) {
          if (!(error instanceof PortTaken) || tries >= PORT_ATTEMPTS) {
            throw error instanceof PortTaken ? new RbeeError("WORKER_FAILED", `ggml-rpc-server found no free port on ${RPC_HOST} after ${tries} tries`) : error;
          }
          this.options.log(`rpc-server ${id}: port ${port} was taken before it could bind, trying another`);
        }
      }
    })();
    this.starting.add(attempt);
    try {
      const server = await attempt;
      if (this.closing) {
        await this.stopServer(server);
        throw new RbeeError("NO_CAPACITY", "The hive is stopping");
      }
      return server.view();
    } finally {
      this.starting.delete(attempt);
    }
  }

  private async checkDevice(backend: Backend, device: number): Promise<void> {
    const devices = await this.options.devices();
    const count = devices.devices[backend] ?? 0;
    if (!devices.backends.includes(backend) || device >= count) {
      throw new RbeeError("BACKEND_UNAVAILABLE", `There is no ${backend} device ${device} on this node (it has: ${devices.backends.join(", ")})`);
    }
  }

  private async launch(
    program: string,
    spec: { id: string; port: number; backend: Backend; device: number; threads: number; workerId: string | undefined },
  ): Promise<RunningRpcServer> {
    const args = ["-H", RPC_HOST, "-p", String(spec.port), "-t", String(spec.threads), "-d", llamaDeviceName(spec.backend, spec.device)];
    const env: NodeJS.ProcessEnv = { ...this.options.env, GGML_RPC_DEBUG: "1" };
    for (const name of PRIVATE_ENV) delete env[name];
    // setpriv sets the parent-death signal and then execs the server (same pid): a hive killed with -9 takes it along.
    const [file, argv] = this.setpriv ? [this.setpriv, ["--pdeathsig", "KILL", "--", program, ...args]] : [program, args];
    const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"], env, windowsHide: true });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (error) => reject(new RbeeError("WORKER_FAILED", `Cannot start ${program}: ${error.message}`)));
    });
    const server = new RunningRpcServer(spec.id, child, spec.port, spec.backend, spec.device, spec.workerId);
    const log = this.options.logs.open(spec.id);
    this.watch(server, log, program);
    await this.waitReady(server);
    this.servers.set(server.id, server);
    this.writePidFile();
    this.options.log(`rpc-server ${server.id} (pid ${server.pid}) listening on ${RPC_HOST}:${server.port} (${server.device?.name ?? spec.backend}, ${spec.threads} threads)${spec.workerId ? ` for ${spec.workerId}` : ""}`);
    void server.exited.then((exit) => {
      if (this.servers.get(server.id) !== server) return;
      this.servers.delete(server.id);
      this.writePidFile();
      this.options.log(`rpc-server ${server.id} (pid ${server.pid}) ${server.stopping ? "stopped" : `${describeExit(exit)}${server.lastWords()}`}`);
    });
    return server;
  }

  private watch(server: RunningRpcServer, log: RotatingLog, program: string): void {
    const stamp = (stream: string, line: string): void => log.write(`${new Date().toISOString()} ${stream} ${line}`);
    stamp("hive", `${program} on ${RPC_HOST}:${server.port} (pid ${server.pid})`);
    createInterface({ input: server.child.stdout! }).on("line", (line) => {
      stamp("out", line);
      server.onStdout(line);
    });
    createInterface({ input: server.child.stderr! }).on("line", (line) => {
      server.onStderr(line);
      // Per-tensor and per-compute lines would crowd out everything else: the tally keeps what they say.
      if (!isChattyDebugLine(line)) stamp("err", line);
    });
    void server.exited.then(async (exit) => {
      await Promise.race([server.closed, delay(500)]);
      stamp("hive", `rpc-server ${describeExit(exit)}`);
      log.close();
    });
  }

  /** Waits until the server accepts a connection that it reports itself (so not another process's on a stolen port). */
  private async waitReady(server: RunningRpcServer): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const exited = server.exited.then(() => "exited" as const);
    while (Date.now() < deadline) {
      const accepted = server.nextAccept().then(() => "accepted" as const);
      const connected = await Promise.race([accepts(server.port), exited]);
      if (connected === "exited") break;
      if (connected) {
        const answer = await Promise.race([accepted, exited, delay(Math.max(0, deadline - Date.now())).then(() => "timeout" as const)]);
        if (answer === "accepted") return;
        break;
      }
      await Promise.race([delay(50), exited]);
    }
    const exit = await Promise.race([server.exited, delay(0).then(() => undefined)]);
    if (!exit) {
      server.stopping = true;
      server.child.kill("SIGKILL");
      await server.exited;
    }
    // Its last stderr lines first (a grandchild holding the pipe must not hold this up).
    await Promise.race([server.closed, delay(500)]);
    if (server.tail.some((line) => PORT_TAKEN.test(line))) throw new PortTaken();
    const said = server.tail.length > 0 ? `: ${server.tail.slice(-3).join(" | ")}` : "";
    throw new RbeeError(
      "WORKER_FAILED",
      exit ? `ggml-rpc-server ${describeExit(exit)} before it accepted connections${said}` : `ggml-rpc-server did not accept connections on ${RPC_HOST}:${server.port} within ${timeoutMs} ms${said}`,
    );
  }

  private writePidFile(): void {
    this.options.pidFile.writeRpcServers([...this.servers.values()].map((server) => ({ id: server.id, pid: server.pid, port: server.port })));
  }

  /** Stops one server; WORKER_NOT_FOUND when there is no such server. */
  async stop(id: string): Promise<void> {
    const server = this.servers.get(id);
    if (!server) throw new RbeeError("WORKER_NOT_FOUND", `No rpc-server '${id}' on this node`);
    await this.stopServer(server);
  }

  private async stopServer(server: RunningRpcServer): Promise<void> {
    server.stopping = true;
    if (server.child.exitCode !== null || server.child.signalCode !== null) return;
    server.child.kill("SIGTERM");
    const timer = setTimeout(() => server.child.kill("SIGKILL"), this.options.stopGraceMs ?? 3000);
    await server.exited;
    clearTimeout(timer);
  }

  /** Stops every server and refuses new ones (the hive is shutting down). */
  async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.starting]);
    await Promise.all([...this.servers.values()].map((server) => this.stopServer(server)));
  }

  /** SIGKILLs every server at once. */
  killAll(): void {
    this.closing = true;
    for (const server of this.servers.values()) server.child.kill("SIGKILL");
  }
}
