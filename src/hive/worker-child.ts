import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { type Backend, type Engine, RbeeError } from "../shared/contract/index.js";
import type { RotatingLog } from "./logs/rotating-log.js";

/** How to start one `llm-worker-rbee`. */
export interface WorkerLaunch {
  readonly workerBin: string;
  readonly workerId: string;
  readonly modelPath: string;
  readonly modelRef: string;
  readonly backend: Backend;
  readonly device: number;
  readonly slots?: number;
  readonly ctx?: number;
  readonly threads?: number;
  readonly heartbeatMs?: number;
  readonly nodeName?: string;
  /** The hive's own base URL: the worker's callbacks come back to the hive's relay. */
  readonly callbackUrl: string;
  readonly token: string;
  /** stdout and stderr of the worker go here, one stamped line each; closed after its exit. */
  readonly log: RotatingLog;
  readonly listenTimeoutMs?: number;
  /** The program that runs the model (`--engine`); absent: the worker's default, node-llama-cpp. */
  readonly engine?: Engine;
  /** llama-server: the llama-server program the hive found (RBEE_LLAMA_SERVER in the worker's environment). */
  readonly llamaServer?: string;
  /** llama-server: rpc-servers on this node's loopback that hold the rest of the model (`--rpc`). */
  readonly rpc?: readonly string[];
  /** llama-server: the offloaded layers' share per device (`--tensor-split`). */
  readonly tensorSplit?: readonly number[];
  /** llama-server: layers offloaded to GPU and RPC devices (`--gpu-layers`). */
  readonly gpuLayers?: number;
}

/** The worker's flags for the engine and a split model (what a spawn's engine, rpc, tensor_split and gpu_layers become). */
export function engineFlags(launch: Pick<WorkerLaunch, "engine" | "rpc" | "tensorSplit" | "gpuLayers">): string[] {
  return [
    ...(launch.engine !== undefined ? ["--engine", launch.engine] : []),
    ...(launch.rpc !== undefined && launch.rpc.length > 0 ? ["--rpc", launch.rpc.join(",")] : []),
    ...(launch.tensorSplit !== undefined && launch.tensorSplit.length > 0 ? ["--tensor-split", launch.tensorSplit.join(",")] : []),
    ...(launch.gpuLayers !== undefined ? ["--gpu-layers", String(launch.gpuLayers)] : []),
  ];
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const LISTENING = /^llm-worker-rbee listening on (http:\/\/\S+)\s*$/;
const TAIL_LINES = 20;

/** Environment variables a worker must not inherit: the hive's own secrets. */
const PRIVATE_ENV = ["RBEE_HIVE_TOKEN", "RBEE_CALLBACK_TOKEN", "RBEE_TOKEN", "HF_TOKEN"];

function describeExit(exit: ChildExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
}

/**
 * One worker process, a child of the hive. Its token travels in the environment
 * (`RBEE_WORKER_TOKEN`), never on the command line where `ps` would show it to other users.
 */
export class WorkerChild {
  readonly exited: Promise<ChildExit>;
  private exit: ChildExit | undefined;
  private readonly tail: string[] = [];

  private readonly closed: Promise<void>;
  /** Settles once the worker's last output and its exit line are in its log (and the log is closed). */
  readonly logClosed: Promise<void>;
  private closeLog: () => void = () => undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exit ??= { code, signal };
        resolve(this.exit);
      };
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
      else child.once("exit", done);
    });
    this.closed = new Promise((resolve) => child.once("close", () => resolve()));
    this.logClosed = new Promise((resolve) => {
      this.closeLog = resolve;
    });
  }

  /** Starts the worker and waits for its "listening on" line; answers the child and its URL. */
  static async start(launch: WorkerLaunch): Promise<{ child: WorkerChild; url: string }> {
    const args = [
      launch.workerBin,
      "--worker-id", launch.workerId,
      "--model", launch.modelPath,
      "--model-ref", launch.modelRef,
      "--backend", launch.backend,
      "--device", String(launch.device),
      "--port", "0",
      "--callback-url", launch.callbackUrl,
      ...(launch.slots !== undefined ? ["--slots", String(launch.slots)] : []),
      ...(launch.ctx !== undefined ? ["--ctx", String(launch.ctx)] : []),
      ...(launch.threads !== undefined ? ["--threads", String(launch.threads)] : []),
      ...(launch.heartbeatMs !== undefined ? ["--heartbeat-ms", String(launch.heartbeatMs)] : []),
      ...(launch.nodeName ? ["--node-name", launch.nodeName] : []),
      ...engineFlags(launch),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env, RBEE_WORKER_TOKEN: launch.token, ...(launch.llamaServer ? { RBEE_LLAMA_SERVER: launch.llamaServer } : {}) };
    for (const name of PRIVATE_ENV) delete env[name];
    // stdin stays an open pipe: it closes when the hive dies, whatever the way.
    const process_ = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], env, windowsHide: true });
    const spawned = await new Promise<number>((resolve, reject) => {
      process_.once("spawn", () => resolve(process_.pid ?? -1));
      process_.once("error", (error) => reject(new RbeeError("WORKER_FAILED", `Cannot start llm-worker-rbee: ${error.message}`)));
    });
    const child = new WorkerChild(process_, spawned);
    const url = await child.readOutput(launch);
    return { child, url };
  }

  private readOutput(launch: WorkerLaunch): Promise<string> {
    const { log } = launch;
    const stamp = (stream: string, line: string): void => log.write(`${new Date().toISOString()} ${stream} ${line}`);
    void this.exited.then(async (exit) => {
      // Its last lines first (a grandchild holding the pipe must not hold this up).
      await Promise.race([this.closed, delay(500)]);
      stamp("hive", `worker ${describeExit(exit)}`);
      log.close();
      this.closeLog();
    });
    const stderr = createInterface({ input: this.child.stderr! });
    stderr.on("line", (line) => {
      stamp("err", line);
      // Node's own "Node.js v20…" footer after a crash says nothing about the cause.
      if (line.trim() === "" || /^Node\.js v\d/.test(line)) return;
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
    });
    const stdout = createInterface({ input: this.child.stdout! });
    const timeoutMs = launch.listenTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(new RbeeError("WORKER_FAILED", `llm-worker-rbee did not start listening within ${timeoutMs} ms`));
      }, timeoutMs);
      stdout.on("line", (line) => {
        stamp("out", line);
        const match = LISTENING.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1].replace(/\/+$/, ""));
        }
      });
      void this.exited.then(async (exit) => {
        clearTimeout(timer);
        // Let the last stderr lines arrive (a grandchild holding the pipe must not hold this up).
        await Promise.race([this.closed, delay(500)]);
        reject(new RbeeError("WORKER_FAILED", `llm-worker-rbee ${describeExit(exit)} before listening${this.lastWords()}`));
      });
    });
  }

  /** `: <last stderr line>` when the worker said something, for error messages. */
  lastWords(): string {
    const last = this.tail[this.tail.length - 1];
    return last ? `: ${last.replace(/^llm-worker-rbee(\[[^\]]*\])?:\s*/, "")}` : "";
  }

  /** How it ended, once it has. */
  get exitStatus(): ChildExit | undefined {
    return this.exit;
  }

  describeExit(exit: ChildExit): string {
    return describeExit(exit);
  }

  /** Kills the process at once. */
  kill(): void {
    if (!this.exit) this.child.kill("SIGKILL");
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    if (this.exit) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
