import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";

/** The built programs that the benchmark runs: its own copy, so that nothing rebuilt elsewhere changes mid-run. */
export interface AppSnapshot {
  /** A package root with dist/, out/renderer, package.json and a node_modules link. */
  readonly root: string;
  readonly rendererBuilt: boolean;
  /** How the programs were obtained (built now, or copied from the last build and when). */
  readonly notes: readonly string[];
}

const REPO = resolve(".");

function run(command: string, args: readonly string[]): { ok: boolean; output: string } {
  try {
    const output = execFileSync(command, [...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    return { ok: true, output };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

function copyLastBuild(from: string, to: string, what: string, notes: string[]): boolean {
  const source = join(REPO, from);
  if (!existsSync(source)) return false;
  rmSync(to, { recursive: true, force: true });
  cpSync(source, to, { recursive: true });
  notes.push(`${what}: the last build in ${from} (${statSync(source).mtime.toISOString()})`);
  return true;
}

/**
 * Builds the node programs (tsc) and the renderer (electron-vite) from the working tree into
 * `dir/app`, never touching the shared dist/ and out/. With `build: false`, or when the working
 * tree does not compile (others edit it concurrently), the last builds in dist/ and out/ are copied.
 */
export function prepareApp(dir: string, options: { readonly build: boolean }): AppSnapshot {
  const notes: string[] = [];
  const root = join(dir, "app");
  const dist = join(root, "dist");
  const renderer = join(root, "out", "renderer");
  mkdirSync(join(root, "out"), { recursive: true });

  let distReady = false;
  if (options.build) {
    const built = run(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", dist]);
    if (built.ok) {
      distReady = true;
      notes.push("node programs: built from the working tree");
    } else {
      notes.push(`the working tree does not compile (${built.output.split("\n")[0]?.trim()})`);
    }
  }
  if (!distReady && !copyLastBuild("dist", dist, "node programs", notes)) {
    throw new Error("there is no build of the node programs: run `npm run build:node`");
  }
  if (!existsSync(join(dist, "bin", "queen-rbee.js"))) throw new Error(`${dist} has no bin/queen-rbee.js`);

  let rendererBuilt = false;
  if (options.build) {
    const out = join(dir, "electron-vite-out");
    const built = run("npx", ["electron-vite", "build", "--outDir", out, "--logLevel", "error"]);
    if (built.ok && existsSync(join(out, "renderer", "index.html"))) {
      cpSync(join(out, "renderer"), renderer, { recursive: true });
      rmSync(out, { recursive: true, force: true });
      rendererBuilt = true;
      notes.push("renderer: built from the working tree");
    } else {
      notes.push(`the renderer does not build (${built.output.trim().split("\n")[0] ?? ""})`);
    }
  }
  if (!rendererBuilt) rendererBuilt = copyLastBuild("out/renderer", renderer, "renderer", notes);

  cpSync(join(REPO, "package.json"), join(root, "package.json"));
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
  return { root, rendererBuilt, notes };
}
