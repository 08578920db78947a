// Where a node's llama.cpp programs are: llama-server (the second worker engine) and ggml-rpc-server
// (a shard of a model split across machines). Built by scripts/build-llama.sh from the source
// node-llama-cpp ships, once per llama.cpp release and GPU backend, or installed by the user.
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend } from "../shared/contract/index.js";
import { expandHome } from "./home.js";

/** The two programs, by the names the product uses. */
export type LlamaProgram = "llama-server" | "rpc-server";

/** The file names each program has: the build's, then the names of other packagings. */
const FILE_NAMES: Readonly<Record<LlamaProgram, readonly string[]>> = {
  "llama-server": ["llama-server"],
  "rpc-server": ["ggml-rpc-server", "rpc-server"],
};

/** The environment variable that names a program's file outright. */
export const PROGRAM_ENV: Readonly<Record<LlamaProgram, string>> = {
  "llama-server": "RBEE_LLAMA_SERVER",
  "rpc-server": "RBEE_RPC_SERVER",
};

/** The rbee checkout this module runs from (`dist/node-common/…` or `src/node-common/…`). */
export function installRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** scripts/build-llama.sh of this installation. */
export function buildScriptPath(root: string = installRoot()): string {
  return join(root, "scripts", "build-llama.sh");
}

/** The llama.cpp release node-llama-cpp pins (its source is what the build uses), e.g. `v0.4.0`; undefined without node-llama-cpp. */
export function llamaCppRelease(root: string = installRoot()): string | undefined {
  try {
    // The package's exports hide llama/: its entry point is resolved, and the file found beside it.
    const require = createRequire(join(root, "package.json"));
    const entry = require.resolve("node-llama-cpp");
    const info = join(entry.slice(0, entry.lastIndexOf(`${sep}node-llama-cpp${sep}`) + `${sep}node-llama-cpp`.length), "llama", "llama.cpp.info.json");
    const tag = (JSON.parse(readFileSync(info, "utf8")) as { tag?: unknown }).tag;
    return typeof tag === "string" && tag !== "" ? tag : undefined;
  } catch {
    return undefined;
  }
}

/** `RBEE_LLAMA_CACHE`, default `~/.cache/rbee/llama.cpp`: where builds are kept, one folder per release and backend. */
export function llamaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.RBEE_LLAMA_CACHE?.trim();
  return configured ? resolve(expandHome(configured)) : join(homedir(), ".cache", "rbee", "llama.cpp");
}

/** The bin folder of the build for `release` and `backend`, whether or not it exists yet. */
export function llamaBuildDir(release: string, backend: Backend, env: NodeJS.ProcessEnv = process.env): string {
  return join(llamaCacheDir(env), `${release}-${backend}`, "bin");
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where a program was found, and how. */
export interface FoundProgram {
  readonly path: string;
  readonly source: "env" | "build" | "path";
}

/**
 * Finds a program: the file its variable names (RBEE_LLAMA_SERVER / RBEE_RPC_SERVER), else the
 * finished build for this release and backend (a cpu build serves a cpu worker only; a GPU build
 * serves cpu too), else the PATH. Undefined when none is there.
 */
export function findLlamaProgram(
  program: LlamaProgram,
  backend: Backend,
  env: NodeJS.ProcessEnv = process.env,
  release: string | undefined = llamaCppRelease(),
): FoundProgram | undefined {
  const named = env[PROGRAM_ENV[program]]?.trim();
  if (named) return executable(named) ? { path: resolve(expandHome(named)), source: "env" } : undefined;
  if (release !== undefined) {
    const backends: readonly Backend[] = backend === "cpu" ? ["cpu", "cuda", "vulkan", "metal"] : [backend];
    for (const candidate of backends) {
      const dir = llamaBuildDir(release, candidate, env);
      if (!existsSync(join(dir, "..", ".complete"))) continue;
      for (const name of FILE_NAMES[program]) {
        if (executable(join(dir, name))) return { path: join(dir, name), source: "build" };
      }
    }
  }
  for (const dir of (env.PATH ?? "").split(delimiter).filter((entry) => entry !== "")) {
    for (const name of FILE_NAMES[program]) {
      if (executable(join(dir, name))) return { path: join(dir, name), source: "path" };
    }
  }
  return undefined;
}
