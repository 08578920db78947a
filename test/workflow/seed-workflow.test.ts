// The seed's workflow end to end against a real OpenSSH server on loopback: add-node → install from
// a git repository of this project → infer (cold, then warm) → workers list → remove-node.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RegisteredWorker, type StreamEvent } from "../../src/shared/contract/index.js";
import { machineGpus } from "../helpers/gpu.js";
import { jsonClient } from "../helpers/http-client.js";
import { runKeeperBin } from "../helpers/keeper.js";
import { listeningSockets, pidsMatching } from "../helpers/listening-sockets.js";
import { spawnNodeScript } from "../helpers/process.js";
import { makeProjectRepo } from "../helpers/project-repo.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readStreamEvents } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let repoUrl: string;
let modelRef: string;
let env: Record<string, string>;
const installPath = () => join(dir, "node", "rbee");
const nodeHome = () => join(dir, "node", "home");

const addNode = (name: string, extra: string[] = []) =>
  runKeeperBin(
    [
      "setup", "add-node", "--name", name, "--ssh-host", sshd.host, "--ssh-port", String(sshd.port),
      "--ssh-user", sshd.user, "--ssh-key", sshd.keyPath, "--git-repo", repoUrl, "--install-path", installPath(),
      ...extra,
    ],
    env,
  );

const workers = async (): Promise<RegisteredWorker[]> =>
  JSON.parse((await runKeeperBin(["workers", "list", "--json"], env)).stdout).map((w: unknown) => RegisteredWorker.parse(w));

const hivePid = (): number | undefined => {
  try {
    return (JSON.parse(readFileSync(join(nodeHome(), "hive.json"), "utf8")) as { pid: number }).pid;
  } catch {
    return undefined;
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-workflow-"));
  repoUrl = makeProjectRepo(join(dir, "repo"));
  const model = join(dir, "tiny.gguf");
  await writeTinyGguf(model, { seed: 7 });
  modelRef = `file:${model}`;
  sshd = await startSshd();
  queen = await startQueen({ env: { RBEE_NODE_HOME: nodeHome(), RBEE_WORKER_THREADS: "1" } });
  env = { RBEE_HOME: queen.home, RBEE_TOKEN: "", RBEE_QUEEN_URL: queen.baseUrl };
}, 120_000);

afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("the seed's workflow through rbee-keeper", () => {
  let firstWorker: string;

  test("setup add-node stores the node as reachable", async () => {
    const added = await addNode("mac");
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Added node mac \(reachable, host key SHA256:/);
  });

  test("setup install clones the repository, installs the node programs, starts the hive: ready", async () => {
    const installed = await runKeeperBin(["setup", "install", "--node", "mac"], env);
    expect(installed.stderr).toContain("[install] cloning the repository");
    expect(installed.stderr).toContain("[install] installing dependencies");
    expect(installed.stderr).toContain("[hive] Starting rbee-hive on mac");
    expect(installed.stdout).toBe("Node mac is ready\n");
    expect(installed.code).toBe(0);
    expect(existsSync(join(installPath(), "dist", "bin", "rbee-hive.js"))).toBe(true);
    expect(existsSync(join(installPath(), "node_modules", "electron"))).toBe(false);
    const nodes = JSON.parse((await runKeeperBin(["setup", "list-nodes", "--json"], env)).stdout);
    expect(nodes).toEqual([expect.objectContaining({ node_name: "mac", status: "ready" })]);
    expect(hivePid()).toBeGreaterThan(0);
  }, 240_000);

  test("the node's devices come from its hive", async () => {
    const devices = await jsonClient(queen.baseUrl, queen.token).get("/v2/registry/beehives/devices?node_name=mac");
    expect(devices.status).toBe(200);
    expect(devices.body).toMatchObject({ backends: expect.arrayContaining(["cpu"]), devices: { cpu: 1 }, ram_bytes: expect.any(Number) });
    // What the node's own tools find: the node is this machine.
    expect(devices.body.backends.includes("cuda")).toBe(machineGpus().cuda);
  });

  test("a second install changes nothing", async () => {
    const pid = hivePid();
    const again = await runKeeperBin(["setup", "install", "--node", "mac"], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Already up to date");
    expect(again.stderr).not.toContain("installing dependencies");
    expect(hivePid()).toBe(pid);
  }, 60_000);

  test("infer prints tokens to stdout and exits 0", async () => {
    const run = await runKeeperBin(["infer", "--node", "mac", "--model", modelRef, "--prompt", "hello", "--max-tokens", "12", "--seed", "1"], env);
    expect(run.stderr).toMatch(/\[12 tokens, [\d.]+ tok\/s, ttft \d+ ms, max_tokens\]/);
    expect(run.stderr).toContain("[spawn]");
    expect(run.code).toBe(0);
    const listed = await workers();
    expect(listed).toHaveLength(1);
    firstWorker = listed[0]!.id;
    expect(listed[0]).toMatchObject({ node_name: "mac", model_ref: modelRef, state: "idle" });
  }, 60_000);

  test("a second infer reuses the same worker, and gives the same text for the same seed", async () => {
    const args = ["infer", "--node", "mac", "--model", modelRef, "--prompt", "hello", "--max-tokens", "12", "--seed", "1"];
    const first = await runKeeperBin(args, env);
    const second = await runKeeperBin(args, env);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain("[spawn]");
    expect(second.stdout).toBe(first.stdout);
    const listed = await workers();
    expect(listed.map((w) => [w.id, w.state])).toEqual([[firstWorker, "idle"]]);
    const table = await runKeeperBin(["workers", "list"], env);
    expect(table.stdout).toMatch(new RegExp(`${firstWorker}\\s+mac\\s+\\S+\\s+cpu:0\\s+idle\\s+0/1`));
  }, 60_000);

  test("Ctrl+C on infer exits 130 and the worker is idle again", async () => {
    const run = spawnNodeScript(
      "dist/bin/rbee-keeper.js",
      ["infer", "--node", "mac", "--model", modelRef, "--prompt", "hello", "--max-tokens", "5000"],
      { env: { ...process.env, ...env } },
    );
    // The first token on stdout: the job is running on the worker.
    await new Promise((resolve) => run.child.stdout!.once("data", resolve));
    // Busy at the queen before the cancel, so that "idle again" below is the cancel's doing and not
    // a state the queen never left.
    const api = jsonClient(queen.baseUrl, queen.token);
    await waitFor(async () => {
      const listed = (await api.get("/v1/workers/list")).body.workers as RegisteredWorker[];
      return listed.some((w) => w.id === firstWorker && w.state === "busy" && w.slots_available === 0);
    });
    run.child.kill("SIGINT");
    const exit = await run.waitForExit(10_000);
    expect(exit.code).toBe(130);
    expect(run.stderr()).toContain("Cancelled");
    const idle = await waitFor(async () => (await workers()).find((w: RegisteredWorker) => w.id === firstWorker && w.state === "idle"));
    expect(idle?.slots_available).toBe(1);
  }, 60_000);

  test("no socket of the product listens beyond loopback", () => {
    const pids = [queen.child.pid!, hivePid()!, ...pidsMatching(join(installPath(), "dist", "bin", "llm-worker-rbee.js"))];
    const sockets = listeningSockets(pids);
    expect(sockets.length).toBeGreaterThanOrEqual(3);
    for (const socket of sockets) expect(socket.address, JSON.stringify(socket)).toMatch(/^127\.|^::1$/);
  });

  test("setup remove-node stops the worker and the hive", async () => {
    const hive = hivePid()!;
    const workerPids = pidsMatching(join(installPath(), "dist", "bin", "llm-worker-rbee.js"));
    expect(workerPids.length).toBe(1);
    const removed = await runKeeperBin(["setup", "remove-node", "--name", "mac"], env);
    expect(removed.code).toBe(0);
    expect(await workers()).toEqual([]);
    await waitFor(async () => !alive(hive) && workerPids.every((pid) => !alive(pid)));
  }, 60_000);
});

describe("the same through the HTTP API", () => {
  test("a cold start streams progress stages, then started, tokens and end", async () => {
    const api = jsonClient(queen.baseUrl, queen.token);
    const added = await api.post("/v2/registry/beehives/add", {
      node_name: "mac2", ssh_host: sshd.host, ssh_port: sshd.port, ssh_user: sshd.user, ssh_key_path: sshd.keyPath,
      git_repo_url: repoUrl, install_path: installPath(),
    });
    expect(added.status).toBe(201);
    const response = await fetch(`${queen.baseUrl}/v1/inference`, {
      method: "POST",
      headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: modelRef, prompt: "hello", max_tokens: 6, node: "mac2" }),
    });
    const { events, done } = await readStreamEvents(response);
    expect(done).toBe(true);
    const stages = events.filter((e): e is Extract<StreamEvent, { type: "progress" }> => e.type === "progress").map((e) => e.stage);
    expect(stages).toEqual(expect.arrayContaining(["ssh", "hive", "spawn", "loading"]));
    const types = events.map((e) => e.type).filter((t) => t !== "progress");
    expect(types).toEqual(["started", "token", "token", "token", "token", "token", "token", "end"]);
    const started = events.find((e) => e.type === "started");
    expect(started).toMatchObject({ node_name: "mac2", model_ref: modelRef, job_id: expect.stringMatching(/^job-/) });
    expect(events.at(-1)).toMatchObject({ type: "end", tokens_out: 6, stop_reason: "max_tokens" });
    // The worker's own report of the job's end may reach the queen just after the stream's end.
    let spawned: RegisteredWorker[] = [];
    await waitFor(async () => {
      spawned = (await api.get("/v1/workers/list")).body.workers;
      return spawned.length === 1 && spawned[0]!.state === "idle";
    });
    expect(spawned).toEqual([expect.objectContaining({ node_name: "mac2", state: "idle" })]);
    const stopped = await api.delete(`/v1/workers/${spawned[0]!.id}`);
    expect(stopped.status).toBe(204);
    const workerPids = pidsMatching(join(installPath(), "dist", "bin", "llm-worker-rbee.js"));
    await waitFor(async () => workerPids.every((pid) => !alive(pid)));
  }, 90_000);

  test("a wrong branch: a clear error, node not ready", async () => {
    const api = jsonClient(queen.baseUrl, queen.token);
    await api.post("/v2/registry/beehives/add", {
      node_name: "wrong", ssh_host: sshd.host, ssh_port: sshd.port, ssh_user: sshd.user, ssh_key_path: sshd.keyPath,
      git_repo_url: repoUrl, git_branch: "no-such-branch", install_path: join(dir, "node", "wrong"),
    });
    const response = await fetch(`${queen.baseUrl}/v2/registry/beehives/install`, {
      method: "POST",
      headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
      body: JSON.stringify({ node_name: "wrong" }),
    });
    const { events } = await readStreamEvents(response);
    expect(events.at(-1)).toMatchObject({ type: "error", code: "INSTALL_FAILED", message: expect.stringContaining('branch "no-such-branch" not found') });
    const nodes = (await api.get("/v2/registry/beehives/list")).body.nodes;
    expect(nodes.find((n: { node_name: string }) => n.node_name === "wrong").status).toBe("reachable");
  }, 30_000);
});

describe("hostile values", () => {
  test("as node name, branch or repository URL they are rejected; as install path they are quoted", async () => {
    const api = jsonClient(queen.baseUrl, queen.token);
    const marker = join(dir, "pwned");
    const values = [`; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `'"; touch ${marker}`, `x\ntouch ${marker}`];
    const base = {
      node_name: "evil", ssh_host: sshd.host, ssh_port: sshd.port, ssh_user: sshd.user, ssh_key_path: sshd.keyPath,
      git_repo_url: repoUrl, install_path: join(dir, "evil"),
    };
    for (const value of values) {
      for (const field of ["node_name", "git_branch", "git_repo_url"] as const) {
        const answer = await api.post("/v2/registry/beehives/add?verify=false", { ...base, [field]: value });
        expect(answer.status, `${field} = ${JSON.stringify(value)}`).toBe(400);
        expect(answer.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
      }
    }
    const path = join(dir, `$(touch ${marker})`, "rbee");
    expect((await api.post("/v2/registry/beehives/add", { ...base, install_path: path, git_branch: "nope" })).status).toBe(201);
    const response = await fetch(`${queen.baseUrl}/v2/registry/beehives/install`, {
      method: "POST",
      headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
      body: JSON.stringify({ node_name: "evil" }),
    });
    const { events } = await readStreamEvents(response);
    expect(events.at(-1)).toMatchObject({ type: "error", code: "INSTALL_FAILED" });
    expect(existsSync(join(dir, `$(touch ${marker})`))).toBe(true);
    expect(existsSync(marker)).toBe(false);
  }, 30_000);
});

/** Re-checks `probe` after each event-loop turn until it is truthy (bounded). */
async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
