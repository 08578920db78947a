import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type Backend, type EngineStatus, type ProgressEvent, RbeeError } from "../shared/contract/index.js";
import { buildScriptPath, installRoot } from "../node-common/llama-cpp-binaries.js";
import type { EngineCatalog } from "./engines.js";
import { RotatingLog } from "./logs/rotating-log.js";

/** A step of a build as the spawn and build streams show it. */
export type BuildProgress = ProgressEvent & { readonly stage: "build" };

/** cmake's `[ 45%] Building CXX object …` lines (what the script forwards to stderr). */
const PERCENT_LINE = /^\[\s*(\d{1,3})%\]\s*(.*)$/;
const TAIL_LINES = 12;

/** cmake's wording made short: which file compiles, which library or program links. */
function shortStep(step: string): string {
  const compiling = /^Building \S+ object (\S+)$/.exec(step);
  if (compiling?.[1]) return `compiling ${compiling[1].replace(/\.o(bj)?$/, "").split("/").at(-1) ?? compiling[1]}`;
  const linking = /^Linking \S+ (?:shared library|static library|executable|shared module) (\S+)$/.exec(step);
  if (linking?.[1]) return `linking ${linking[1].split("/").at(-1) ?? linking[1]}`;
  const built = /^Built target (\S+)$/.exec(step);
  if (built?.[1]) return `built ${built[1]}`;
  return step;
}

/**
 * One stderr line of `scripts/build-llama.sh` as a progress event: cmake's `[ NN%] …` lines give a
 * `fraction`, the script's own `build-llama: …` lines a message; anything else is not progress.
 */
export function parseBuildLine(line: string, label: string): BuildProgress | undefined {
  const text = line.trim();
  const percent = PERCENT_LINE.exec(text);
  if (percent) {
    const value = Math.min(100, Number(percent[1]));
    const step = percent[2] ? shortStep(percent[2]) : "";
    return { type: "progress", stage: "build", message: `building ${label}: ${value}%${step ? ` ${step}` : ""}`, fraction: value / 100 };
  }
  const own = /^build-llama:\s*(.+)$/.exec(text);
  if (own?.[1]) return { type: "progress", stage: "build", message: own[1] };
  return undefined;
}

/** What the builder needs around it. */
export interface LlamaBuilderOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly engines: EngineCatalog;
  /** The hive's logs folder: each build's output goes to `build-llama-<backend>.log` there. */
  readonly logsDir: string;
  readonly log: (line: string) => void;
  readonly root?: string;
}

interface RunningBuild {
  done: Promise<EngineStatus>;
  readonly listeners: Set<(event: BuildProgress) => void>;
  readonly child: ChildProcess;
  last: BuildProgress | undefined;
}

/**
 * Builds llama-server and ggml-rpc-server on demand with `scripts/build-llama.sh --backend B`: one
 * build per backend at a time (a second caller joins it and sees its progress from then on), and it
 * runs to its end whether or not the caller who started it is still there. A backend already
 * ready answers at once without running anything.
 */
export class LlamaBuilder {
  private readonly running = new Map<Backend, RunningBuild>();
  private closing = false;

  constructor(private readonly options: LlamaBuilderOptions) {}

  /**
   * llama-server's status for `backend` once it is built: at once when ready, after the build when
   * buildable; ENGINE_UNAVAILABLE (saying what to install) when it cannot be built here or the build
   * fails. `onProgress` stops receiving events when `signal` aborts; the build goes on.
   */
  async build(backend: Backend, onProgress: (event: BuildProgress) => void, signal?: AbortSignal): Promise<EngineStatus> {
    const status = await this.options.engines.status("llama-server", backend);
    const rpc = await this.options.engines.status("rpc-server", backend);
    if (status.state === "ready" && rpc.state === "ready") return status;
    if (status.state === "unavailable" || rpc.state === "unavailable") {
      throw new RbeeError("ENGINE_UNAVAILABLE", `llama-server cannot run on this node: ${status.state === "unavailable" ? status.detail : rpc.detail}`);
    }
    if (this.closing) throw new RbeeError("ENGINE_UNAVAILABLE", "The hive is stopping: no build starts now");
    let build = this.running.get(backend);
    if (!build) {
      build = this.start(backend);
      this.running.set(backend, build);
      const started = build;
      void started.done.catch(() => undefined).finally(() => {
        if (this.running.get(backend) === started) this.running.delete(backend);
      });
    }
    const listener = (event: BuildProgress): void => {
      if (!signal?.aborted) onProgress(event);
    };
    if (build.last) listener(build.last);
    build.listeners.add(listener);
    try {
      return await build.done;
    } finally {
      build.listeners.delete(listener);
    }
  }

  /** Whether a build for `backend` runs now. */
  isBuilding(backend: Backend): boolean {
    return this.running.has(backend);
  }

  /** Stops running builds (the hive is shutting down): the script's own trap removes its work folder and lock. */
  stopAll(): void {
    this.closing = true;
    for (const build of this.running.values()) {
      try {
        // The script runs in its own process group: cmake, make and the compilers go with it.
        if (build.child.pid !== undefined) process.kill(-build.child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  }

  private start(backend: Backend): RunningBuild {
    const { engines, log } = this.options;
    const label = `llama.cpp ${engines.release ?? ""} (${backend})`.replace(/\s+/g, " ");
    const script = buildScriptPath(this.options.root ?? installRoot());
    const file = new RotatingLog(join(this.options.logsDir, `build-llama-${backend}.log`));
    const stamp = (line: string): void => file.write(`${new Date().toISOString()} ${line}`);
    log(`building ${label} with ${script}`);
    const child = spawn("bash", [script, "--backend", backend], {
      env: this.options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      windowsHide: true,
    });
    const listeners = new Set<(event: BuildProgress) => void>();
    // `done` is set below, once the handlers it settles from exist.
    const build: RunningBuild = { listeners, child, last: undefined, done: new Promise<EngineStatus>(() => undefined) };
    const tail: string[] = [];
    let highest = 0;
    const emit = (event: BuildProgress): void => {
      // Parallel targets can print a lower percentage after a higher one: the bar never goes back.
      const fraction = event.fraction === undefined ? undefined : Math.max(highest, event.fraction);
      if (fraction !== undefined) highest = fraction;
      const shown: BuildProgress = fraction === undefined ? event : { ...event, fraction };
      build.last = shown;
      for (const listener of listeners) listener(shown);
    };
    createInterface({ input: child.stderr! }).on("line", (line) => {
      stamp(line);
      if (line.trim() !== "") {
        tail.push(line.trim());
        if (tail.length > TAIL_LINES) tail.shift();
      }
      const event = parseBuildLine(line, label);
      if (event) emit(event);
    });
    let binDir = "";
    createInterface({ input: child.stdout! }).on("line", (line) => {
      stamp(line);
      if (line.trim() !== "") binDir = line.trim();
    });
    build.done = new Promise<EngineStatus>((resolve, reject) => {
      child.once("error", (error) => reject(new RbeeError("ENGINE_UNAVAILABLE", `Cannot run ${script}: ${error.message}`)));
      child.once("close", (code, signal) => {
        file.close();
        engines.refresh();
        if (code === 0) {
          void engines.status("llama-server", backend).then((status) => {
            if (status.state === "ready") {
              log(`built ${label}: ${binDir}`);
              resolve(status);
            } else {
              reject(new RbeeError("ENGINE_UNAVAILABLE", `The build of ${label} ended but llama-server is not ready: ${status.detail}`));
            }
          }, reject);
          return;
        }
        const how = signal ? `was stopped by ${signal}` : `failed (exit ${String(code)})`;
        const why = code === 3 ? (tail.find((line) => /cannot build/.test(line)) ?? tail.at(-1) ?? "").replace(/^build-llama:\s*/, "") : tail.slice(-4).join(" | ");
        log(`the build of ${label} ${how}${why ? `: ${why}` : ""}`);
        reject(new RbeeError("ENGINE_UNAVAILABLE", code === 3 ? `llama-server cannot be built on this node: ${why}` : `The build of ${label} ${how}${why ? `: ${why}` : ""}`));
      });
    });
    return build;
  }
}
