import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Backend, EngineName, EngineStatus } from "../shared/contract/index.js";
import {
  type FoundProgram,
  type LlamaProgram,
  PROGRAM_ENV,
  buildScriptPath,
  findLlamaProgram,
  installRoot,
  llamaCppRelease,
} from "../node-common/llama-cpp-binaries.js";

/** What `scripts/build-llama.sh --check` answered. */
export interface BuildCheck {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where the engines are looked for and how a build is checked. */
export interface EngineCatalogOptions {
  readonly env: NodeJS.ProcessEnv;
  /** The rbee installation (its scripts/ and node_modules/); default the one this module runs from. */
  readonly root?: string;
}

const CHECK_TIMEOUT_MS = 15_000;

/** The engines a node's `/v1/devices` lists: the ones that run now or after a build on first use. */
export function usableEngines(statuses: readonly EngineStatus[]): EngineName[] {
  return statuses.filter((status) => status.state !== "unavailable").map((status) => status.engine);
}

/** The backend llama.cpp programs are built for on a node: its GPU backend when it has one, else cpu. */
export function primaryBackend(backends: readonly Backend[]): Backend {
  return backends.find((backend) => backend !== "cpu") ?? "cpu";
}

/** About how long the build takes here (12 minutes on 2 cores, measured), for the `buildable` detail. */
export function buildEstimate(cores: number = availableParallelism()): string {
  const minutes = Math.max(2, Math.round(24 / Math.max(1, cores)));
  return `about ${minutes} minutes on ${cores} core${cores === 1 ? "" : "s"}`;
}

function readyDetail(found: FoundProgram, release: string | undefined): string {
  switch (found.source) {
    case "build":
      return `built from llama.cpp ${release ?? "?"} (${found.path})`;
    case "env":
      return `the program ${found.path} names`;
    case "path":
      return `found on the PATH (${found.path})`;
  }
}

/** The sentence of the script's stderr that says what is missing, without its `build-llama:` prefix. */
export function missingSentence(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const sentence = lines.find((line) => /cannot build/.test(line)) ?? lines.at(-1) ?? "the build check failed";
  return sentence.replace(/^build-llama:\s*/, "");
}

/**
 * The engines of this node and their state: node-llama-cpp always runs; llama-server and
 * rpc-server are `ready` when `findLlamaProgram` finds them for the backend, `buildable` when
 * `scripts/build-llama.sh --check` says this machine can build them, `unavailable` (with what to
 * install) otherwise. The answers are cached per backend; `refresh` drops them (after a build).
 */
export class EngineCatalog {
  private readonly cache = new Map<Backend, Promise<EngineStatus[]>>();
  private readonly root: string;
  readonly release: string | undefined;

  constructor(private readonly options: EngineCatalogOptions) {
    this.root = options.root ?? installRoot();
    this.release = llamaCppRelease(this.root);
  }

  /** Every engine's status for `backend` (cached). */
  statuses(backend: Backend): Promise<EngineStatus[]> {
    let statuses = this.cache.get(backend);
    if (!statuses) {
      statuses = this.compute(backend);
      this.cache.set(backend, statuses);
      // A failed check is not remembered.
      statuses.catch(() => this.cache.delete(backend));
    }
    return statuses;
  }

  /** One engine's status for `backend`. */
  async status(engine: EngineName, backend: Backend): Promise<EngineStatus> {
    const statuses = await this.statuses(backend);
    return statuses.find((status) => status.engine === engine) ?? { engine, state: "unavailable", detail: `unknown engine ${engine}` };
  }

  /** Where a ready llama.cpp program is (undefined when it is not ready). */
  find(program: LlamaProgram, backend: Backend): FoundProgram | undefined {
    return findLlamaProgram(program, backend, this.options.env, this.release);
  }

  /** Forgets the cached answers (all backends, or one). */
  refresh(backend?: Backend): void {
    if (backend === undefined) this.cache.clear();
    else this.cache.delete(backend);
  }

  private async compute(backend: Backend): Promise<EngineStatus[]> {
    const release = this.release;
    const withRelease = release !== undefined ? { release } : {};
    const programs: readonly LlamaProgram[] = ["llama-server", "rpc-server"];
    const found = programs.map((program) => this.find(program, backend));
    // One check serves both: the script builds them together.
    const check = found.every((program) => program !== undefined) ? undefined : await this.check(backend);
    const llama: EngineStatus[] = programs.map((program, index) => {
      const program_ = found[index];
      if (program_) return { engine: program, state: "ready", detail: readyDetail(program_, release), path: program_.path, ...withRelease };
      if (check?.code === 0) {
        return { engine: program, state: "buildable", detail: `built on first use from llama.cpp ${release ?? "?"} (${buildEstimate()})`, ...withRelease };
      }
      const why = check ? missingSentence(check.stderr) : "the build check did not run";
      return { engine: program, state: "unavailable", detail: `${why} (or set ${PROGRAM_ENV[program]} to an installed ${program})`, ...withRelease };
    });
    return [{ engine: "node-llama-cpp", state: "ready", detail: "bundled with rbee" }, ...llama];
  }

  /** Runs `bash scripts/build-llama.sh --check --backend B`: exit 0 can build, 3 lacks something (stderr says what). */
  private check(backend: Backend): Promise<BuildCheck> {
    const script = buildScriptPath(this.root);
    if (!existsSync(script)) {
      return Promise.resolve({ code: 3, stdout: "", stderr: `cannot build llama.cpp here: ${script} is missing from this installation` });
    }
    return new Promise((resolve) => {
      execFile(
        "bash",
        [script, "--check", "--backend", backend],
        { env: this.options.env, timeout: CHECK_TIMEOUT_MS, windowsHide: true },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
          const spawnFailed = error && typeof error.code === "string" ? `cannot run bash to check the llama.cpp build: ${error.message}` : "";
          resolve({ code, stdout, stderr: spawnFailed || stderr });
        },
      );
    });
  }
}
