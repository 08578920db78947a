// The lean node install: a node keeps only the llama.cpp builds it can load (its own platform and
// arch; CUDA only where nvidia-smi answers, Vulkan only where vulkaninfo does). The selection is
// asked of the install script itself; then a real install over a loopback OpenSSH server.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RegisteredWorker } from "../../src/shared/contract/index.js";
import { machineGpus } from "../helpers/gpu.js";
import { jsonClient } from "../helpers/http-client.js";
import { postJson, spawnWorker } from "../helpers/installed-node.js";
import { spawnProcess } from "../helpers/process.js";
import { makeProjectRepo } from "../helpers/project-repo.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readSseJson } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

const SCRIPT = resolve("scripts/install-node.sh");

/** Every prebuilt llama.cpp package the lockfile has (what `npm ci` may bring), without the scope. */
const LLAMA_PACKAGES: readonly string[] = Object.keys(
  (JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, unknown> }).packages,
)
  .filter((path) => path.startsWith("node_modules/@node-llama-cpp/"))
  .map((path) => path.slice("node_modules/@node-llama-cpp/".length))
  .sort();

/** This machine as node-llama-cpp names its packages (linux-x64, mac-arm64, ...). */
const PLATFORM_NAMES: Readonly<Record<string, string>> = { darwin: "mac", win32: "win" };
const TARGET = `${PLATFORM_NAMES[process.platform] ?? process.platform}-${process.arch === "arm" ? "armv7l" : process.arch}`;

/** What a node with these toolkits keeps, by the rule of the task (written here, not asked of the script). */
function expectedKept(target: string, toolkits: { readonly cuda: boolean; readonly vulkan: boolean }): string[] {
  return LLAMA_PACKAGES.filter(
    (name) =>
      name === target ||
      name === `${target}-metal` ||
      (toolkits.cuda && (name === `${target}-cuda` || name === `${target}-cuda-ext`)) ||
      (toolkits.vulkan && name === `${target}-vulkan`),
  );
}

/** The size of a tree as `du -sk` counts it (allocated blocks, hard links once), in KiB. */
function diskKib(root: string): number {
  const seen = new Set<string>();
  let bytes = 0;
  const walk = (path: string): void => {
    const stat = lstatSync(path);
    const id = `${stat.dev}:${stat.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    bytes += stat.blocks * 512;
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(root);
  return Math.round(bytes / 1024);
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-node-install-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A directory of stand-ins for nvidia-smi and vulkaninfo, first on the PATH (they shadow real ones). */
function fakeTools(name: string, tools: { readonly nvidiaSmi: string; readonly vulkaninfo: string }): string {
  const bin = join(dir, "tools", name);
  mkdirSync(bin, { recursive: true });
  for (const [file, body] of [["nvidia-smi", tools.nvidiaSmi], ["vulkaninfo", tools.vulkaninfo]] as const) {
    writeFileSync(join(bin, file), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, file), 0o755);
  }
  return bin;
}

const ABSENT = "exit 127";
const NVIDIA_TWO_GPUS = "printf '0\\n1\\n'";
const NVIDIA_NO_DRIVER = "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"; exit 9";
const VULKAN_GPU = "printf 'Devices:\\n========\\nGPU0:\\n\\tdeviceName         = AMD Radeon RX 7900 XTX\\n'";
const VULKAN_SOFTWARE = "printf 'Devices:\\n========\\nGPU0:\\n\\tdeviceName         = llvmpipe (LLVM 15.0.7, 256 bits)\\n'";

/** Asks the install script which of the lockfile's llama.cpp packages a node keeps. */
function usable(bin: string, target?: string, env: Record<string, string> = {}): string[] {
  const run = spawnSync("sh", [SCRIPT, "--usable-llama-binaries", ...LLAMA_PACKAGES], {
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
      ...(target ? { RBEE_INSTALL_TEST_SEAM_TARGET: target } : {}),
      ...env,
    },
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout.split("\n").filter(Boolean).sort();
}

describe("which llama.cpp builds a node keeps", () => {
  test("the lockfile has the builds of every platform (what there is to choose from)", () => {
    expect(LLAMA_PACKAGES).toEqual(expect.arrayContaining(["linux-x64", "linux-x64-cuda", "linux-x64-vulkan", "mac-arm64-metal", "win-x64"]));
  });

  test("this machine without CUDA or Vulkan: only its own cpu build", () => {
    const bin = fakeTools("none", { nvidiaSmi: ABSENT, vulkaninfo: ABSENT });
    expect(usable(bin)).toEqual(expectedKept(TARGET, { cuda: false, vulkan: false }));
    expect(usable(bin, "linux-x64")).toEqual(["linux-x64"]);
  });

  test("nvidia-smi lists GPUs: the CUDA build and its runtime extension too", () => {
    const bin = fakeTools("cuda", { nvidiaSmi: NVIDIA_TWO_GPUS, vulkaninfo: ABSENT });
    expect(usable(bin, "linux-x64")).toEqual(["linux-x64", "linux-x64-cuda", "linux-x64-cuda-ext"]);
  });

  test("nvidia-smi is there but fails (no driver): no CUDA build", () => {
    const bin = fakeTools("cuda-broken", { nvidiaSmi: NVIDIA_NO_DRIVER, vulkaninfo: ABSENT });
    expect(usable(bin, "linux-x64")).toEqual(["linux-x64"]);
  });

  test("a probe that hangs (a wedged driver) counts as absent once its time is up", () => {
    const bin = fakeTools("hanging", { nvidiaSmi: "sleep 30", vulkaninfo: "sleep 30" });
    const started = Date.now();
    expect(usable(bin, "linux-x64", { RBEE_PROBE_TIMEOUT_S: "1" })).toEqual(["linux-x64"]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("vulkaninfo lists a GPU: the Vulkan build; a software renderer alone is not one", () => {
    expect(usable(fakeTools("vulkan", { nvidiaSmi: ABSENT, vulkaninfo: VULKAN_GPU }), "linux-x64")).toEqual(["linux-x64", "linux-x64-vulkan"]);
    expect(usable(fakeTools("vulkan-sw", { nvidiaSmi: ABSENT, vulkaninfo: VULKAN_SOFTWARE }), "linux-x64")).toEqual(["linux-x64"]);
  });

  test("both toolkits: all four linux-x64 builds, and nothing of another arch", () => {
    const bin = fakeTools("both", { nvidiaSmi: NVIDIA_TWO_GPUS, vulkaninfo: VULKAN_GPU });
    expect(usable(bin, "linux-x64")).toEqual(["linux-x64", "linux-x64-cuda", "linux-x64-cuda-ext", "linux-x64-vulkan"]);
  });

  test("other platforms keep their own build: Metal on Apple silicon, none of the x64 GPU builds on arm", () => {
    const bin = fakeTools("both-elsewhere", { nvidiaSmi: NVIDIA_TWO_GPUS, vulkaninfo: VULKAN_GPU });
    expect(usable(bin, "mac-arm64")).toEqual(["mac-arm64-metal"]);
    expect(usable(bin, "mac-x64")).toEqual(["mac-x64"]);
    expect(usable(bin, "linux-arm64")).toEqual(["linux-arm64"]);
    expect(usable(bin, "linux-armv7l")).toEqual(["linux-armv7l"]);
  });
});

describe("a real node install over SSH", () => {
  let sshd: Sshd;
  let queen: QueenProcess;
  let model: string;
  let installMessages: string[];
  const installPath = () => join(dir, "node", "rbee");

  const install = async (): Promise<string[]> => {
    const { events, done } = await readSseJson(await postJson(queen, "/v2/registry/beehives/install", { node_name: "lean" }));
    expect(events.filter((event) => (event as { type: string }).type === "error")).toEqual([]);
    expect(done).toBe(true);
    return events.map((event) => (event as { message?: string }).message ?? "");
  };

  beforeAll(async () => {
    model = join(dir, "tiny.gguf");
    await writeTinyGguf(model, { seed: 7 });
    sshd = await startSshd();
    queen = await startQueen({ env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1" } });
    const added = await jsonClient(queen.baseUrl, queen.token).post("/v2/registry/beehives/add", {
      node_name: "lean",
      ssh_host: sshd.host,
      ssh_port: sshd.port,
      ssh_user: sshd.user,
      ssh_key_path: sshd.keyPath,
      git_repo_url: makeProjectRepo(join(dir, "repo")),
      install_path: installPath(),
    });
    expect(added.status).toBe(201);
    installMessages = await install();
  }, 300_000);

  afterAll(async () => {
    await queen?.stop();
    await sshd?.dispose();
  });

  test("node_modules has only the llama.cpp builds this node can use", () => {
    const kib = diskKib(join(installPath(), "node_modules"));
    const present = readdirSync(join(installPath(), "node_modules", "@node-llama-cpp")).sort();
    console.log(`node install: node_modules is ${(kib / 1024).toFixed(0)} MB (${kib} KiB, du -sk); @node-llama-cpp: ${present.join(", ")}`);
    console.log(`node install: ${installMessages.filter((message) => message.startsWith("llama.cpp binaries")).join("")}`);
    expect(present).toEqual(expectedKept(TARGET, machineGpus()));
    if (!machineGpus().any) expect(present).toEqual([TARGET]);
    expect(existsSync(join(installPath(), "node_modules", "electron"))).toBe(false);
  });

  test("a cpu worker starts on it", async () => {
    const worker: RegisteredWorker = await spawnWorker(queen, { node_name: "lean", model_ref: `file:${model}`, slots: 1 });
    expect(worker).toMatchObject({ node_name: "lean", backend: "cpu", state: "idle" });
  }, 60_000);

  for (const backend of ["vulkan", "cuda"] as const) {
    // On a machine with that GPU its build stays: nothing to test there.
    test.skipIf(machineGpus()[backend])(`a ${backend} worker without its build fails with BACKEND_UNAVAILABLE naming ${backend}`, async () => {
      expect(existsSync(join(installPath(), "node_modules", "@node-llama-cpp", `${TARGET}-${backend}`))).toBe(false);
      // The worker itself, not through the hive: the hive already refuses a backend the node lacks.
      const worker = spawnProcess(
        process.execPath,
        ["dist/bin/llm-worker-rbee.js", "--worker-id", `no-${backend}`, "--model", model, "--backend", backend, "--token", "t".repeat(32)],
        { cwd: installPath() },
      );
      const exit = await worker.waitForExit(30_000);
      expect(exit.code).toBe(1);
      expect(worker.stderr()).toContain(`Backend ${backend} is not available on this machine`);
      expect(worker.stderr()).toContain(`use a node with ${backend} or spawn with --backend cpu`);
    }, 40_000);
  }

  test("a second install on the unchanged checkout changes nothing", async () => {
    const messages = await install();
    expect(messages).toContain("Already up to date");
    expect(messages.some((message) => message.startsWith("installing dependencies"))).toBe(false);
  }, 60_000);

  // The CUDA builds exist for linux-x64 (and Windows) only.
  test.skipIf(machineGpus().cuda || TARGET !== "linux-x64")("a node that gains CUDA gets its build on the next install, then is up to date again", async () => {
    const bin = fakeTools("gained-cuda", { nvidiaSmi: NVIDIA_TWO_GPUS, vulkaninfo: ABSENT });
    const run = () =>
      execFileSync("sh", [join(installPath(), "scripts", "install-node.sh")], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` },
      });
    const first = run();
    expect(first).toContain("rbee-install: installed");
    expect(readdirSync(join(installPath(), "node_modules", "@node-llama-cpp")).sort()).toEqual(
      expectedKept(TARGET, { cuda: true, vulkan: machineGpus().vulkan }),
    );
    expect(run()).toContain("rbee-install: up to date");
  }, 240_000);
});
