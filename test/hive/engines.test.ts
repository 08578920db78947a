import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineStatus, RbeeError } from "../../src/shared/contract/index.js";
import { llamaCppRelease } from "../../src/node-common/llama-cpp-binaries.js";
import { EngineCatalog, buildEstimate, usableEngines } from "../../src/hive/engines.js";
import { LlamaBuilder } from "../../src/hive/llama-build.js";
import { findOnPath } from "../../src/hive/gpu/find-on-path.js";

let dir: string;
/** A PATH with what the build script needs to run (bash, sed, dirname) and no cmake, compiler or git. */
let bareBin: string;
const release = llamaCppRelease();

/** An environment without the test machine's own llama.cpp programs or cache. */
function envWith(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.RBEE_LLAMA_SERVER;
  delete env.RBEE_RPC_SERVER;
  return env;
}

/** A finished build's layout in `cache` (what build-llama.sh leaves): bin/ with both programs and `.complete`. */
async function finishedBuild(cache: string): Promise<string> {
  const bin = join(cache, `${release}-cpu`, "bin");
  await mkdir(bin, { recursive: true });
  for (const name of ["llama-server", "ggml-rpc-server"]) {
    await writeFile(join(bin, name), "#!/bin/sh\nexit 0\n");
    await chmod(join(bin, name), 0o755);
  }
  await writeFile(join(cache, `${release}-cpu`, ".complete"), `${release} cpu 2026-01-01T00:00:00Z\n`);
  return bin;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-engines-"));
  bareBin = join(dir, "bare-bin");
  await mkdir(bareBin);
  for (const tool of ["bash", "sed", "dirname", "nproc"]) {
    const found = findOnPath(tool, process.env.PATH);
    if (found) await symlink(found, join(bareBin, tool));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("engine status", () => {
  it("is unavailable without cmake and a compiler, with the build script's sentence of what to install", async () => {
    const engines = new EngineCatalog({ env: envWith({ PATH: bareBin, RBEE_LLAMA_CACHE: join(dir, "empty-cache") }) });
    const statuses = (await engines.statuses("cpu")).map((status) => EngineStatus.parse(status));
    expect(statuses.map((status) => [status.engine, status.state])).toEqual([
      ["node-llama-cpp", "ready"],
      ["llama-server", "unavailable"],
      ["rpc-server", "unavailable"],
    ]);
    expect(statuses[1]!.detail).toMatch(/^cannot build llama\.cpp here: install cmake, a C\+\+ compiler \(g\+\+ or clang\+\+\), git \(or set RBEE_LLAMA_SERVER/);
    expect(statuses[2]!.detail).toMatch(/install cmake.*RBEE_RPC_SERVER/);
    expect(usableEngines(statuses)).toEqual(["node-llama-cpp"]);
  });

  it("is ready when a finished build is in RBEE_LLAMA_CACHE, naming the program's path", async () => {
    const cache = join(dir, "ready-cache");
    const bin = await finishedBuild(cache);
    const engines = new EngineCatalog({ env: envWith({ PATH: bareBin, RBEE_LLAMA_CACHE: cache }) });
    const statuses = await engines.statuses("cpu");
    expect(statuses.find((status) => status.engine === "llama-server")).toEqual({
      engine: "llama-server",
      state: "ready",
      detail: `built from llama.cpp ${release} (${join(bin, "llama-server")})`,
      path: join(bin, "llama-server"),
      release,
    });
    expect(statuses.find((status) => status.engine === "rpc-server")).toMatchObject({ state: "ready", path: join(bin, "ggml-rpc-server") });
    expect(usableEngines(statuses)).toEqual(["node-llama-cpp", "llama-server", "rpc-server"]);
  });

  it.skipIf(!findOnPath("cmake", process.env.PATH))("is buildable where cmake and a compiler are, and stays cached until refreshed", async () => {
    const cache = join(dir, "later-cache");
    const engines = new EngineCatalog({ env: envWith({ RBEE_LLAMA_CACHE: cache, PATH: `${bareBin}:${process.env.PATH ?? ""}` }) });
    // The machine's own PATH may hold an installed llama-server: only the cache decides here.
    const onPath = findOnPath("llama-server", process.env.PATH);
    const status = await engines.status("llama-server", "cpu");
    if (onPath) {
      expect(status).toMatchObject({ state: "ready", path: onPath });
      return;
    }
    expect(status).toEqual({ engine: "llama-server", state: "buildable", detail: `built on first use from llama.cpp ${release} (${buildEstimate()})`, release });
    expect(buildEstimate(2)).toBe("about 12 minutes on 2 cores");

    await finishedBuild(cache);
    expect((await engines.status("llama-server", "cpu")).state).toBe("buildable"); // cached
    engines.refresh();
    expect((await engines.status("llama-server", "cpu")).state).toBe("ready");
  });
});

describe("llama.cpp builds on demand", () => {
  it("answers a backend that is ready at once, running nothing", async () => {
    const cache = join(dir, "builder-ready");
    const bin = await finishedBuild(cache);
    const logsDir = join(dir, "logs-ready");
    await mkdir(logsDir);
    const lines: string[] = [];
    const engines = new EngineCatalog({ env: envWith({ PATH: bareBin, RBEE_LLAMA_CACHE: cache }) });
    const builder = new LlamaBuilder({ env: envWith({ PATH: bareBin, RBEE_LLAMA_CACHE: cache }), engines, logsDir, log: (line) => lines.push(line) });
    const progress: unknown[] = [];
    const status = await builder.build("cpu", (event) => progress.push(event));
    expect(status).toMatchObject({ engine: "llama-server", state: "ready", path: join(bin, "llama-server") });
    expect(progress).toEqual([]);
    expect(lines).toEqual([]);
    expect(builder.isBuilding("cpu")).toBe(false);
  });

  it("refuses with ENGINE_UNAVAILABLE and what to install where it cannot build", async () => {
    const env = envWith({ PATH: bareBin, RBEE_LLAMA_CACHE: join(dir, "builder-none") });
    const engines = new EngineCatalog({ env });
    const builder = new LlamaBuilder({ env, engines, logsDir: dir, log: () => undefined });
    const error = await builder.build("cpu", () => undefined).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RbeeError);
    expect(error).toMatchObject({ code: "ENGINE_UNAVAILABLE", message: expect.stringMatching(/cannot run on this node: cannot build llama\.cpp here: install cmake/) });
  });
});
