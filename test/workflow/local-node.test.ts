// This computer as a node: a real queen-rbee with no SSH server anywhere, its hive a child of the
// queen's own installation (this checkout's dist/), a real worker on a generated model.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Beehive, RegisteredWorker, type StreamEvent } from "../../src/shared/contract/index.js";
import { jsonClient } from "../helpers/http-client.js";
import { runKeeperBin } from "../helpers/keeper.js";
import { spawnWorker } from "../helpers/installed-node.js";
import { listeningSockets, pidsMatching, remotePorts } from "../helpers/listening-sockets.js";
import { alive, descendants, signalAll } from "../helpers/process-tree.js";
import { startModelFileServer } from "../helpers/model-file-server.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { until } from "../helpers/until.js";

let dir: string;
let home: string;
let modelRef: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-local-node-"));
  home = join(dir, "home");
  await writeTinyGguf(join(dir, "tiny.gguf"), { seed: 3 });
  modelRef = `file:${join(dir, "tiny.gguf")}`;
});

afterAll(() => {
  // Whatever a failed test left running: the hive its state file names, and its workers.
  signalAll(localHivePids(), "SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A queen on the test's home with the local node allowed (the test helper leaves it off by default). */
const queenOnHome = (env: Record<string, string> = {}): Promise<QueenProcess> =>
  startQueen({ home, env: { RBEE_LOCAL_NODE: "1", RBEE_WORKER_THREADS: "1", ...env } });

async function nodes(queen: QueenProcess): Promise<Beehive[]> {
  const { body } = await jsonClient(queen.baseUrl, queen.token).get("/v2/registry/beehives/list");
  return (body.nodes as unknown[]).map((node) => Beehive.parse(node));
}

async function workers(queen: QueenProcess): Promise<RegisteredWorker[]> {
  const { body } = await jsonClient(queen.baseUrl, queen.token).get("/v1/workers/list");
  return (body.workers as unknown[]).map((worker) => RegisteredWorker.parse(worker));
}

const hivePid = (): number => (JSON.parse(readFileSync(join(home, "hive.json"), "utf8")) as { pid: number }).pid;
/** The local hive (detached from the queen, as on any node) and everything under it; none before it starts. */
function localHivePids(): number[] {
  try {
    const hive = hivePid();
    return [hive, ...descendants(hive)];
  } catch {
    return [];
  }
}
const workerPids = (): number[] => pidsMatching("llm-worker-rbee.js").filter((pid) => descendants(hivePid()).includes(pid));

describe("this computer as a node", () => {
  test("a first start lists `local`; infer on it streams tokens with no ssh or install stage and no SSH anywhere", async () => {
    const queen = await queenOnHome();
    try {
      expect(await nodes(queen)).toEqual([expect.objectContaining({ node_name: "local", transport: "local", ssh_host: "" })]);
      const env = { RBEE_HOME: queen.home, RBEE_TOKEN: "", RBEE_QUEEN_URL: queen.baseUrl };
      const run = runKeeperBin(["infer", "--node", "local", "--model", modelRef, "--prompt", "hello", "--max-tokens", "8"], env);
      // While it runs: nothing the queen, its hive or its worker holds is a connection to an SSH server.
      const sshdPorts = new Set([22, ...listeningSockets(pidsMatching("sshd")).map((socket) => socket.port)]);
      const seen: number[] = [];
      let done = false;
      const finished = run.finally(() => {
        done = true;
      });
      while (!done) {
        seen.push(...remotePorts([queen.child.pid!, ...localHivePids()]));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const result = await finished;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.length).toBeGreaterThan(0);
      const stages = [...result.stderr.matchAll(/^\[(\w+)\]/gm)].map((match) => match[1]);
      expect(stages).toEqual(expect.arrayContaining(["hive", "spawn", "loading"]));
      expect(stages).not.toContain("ssh");
      expect(stages).not.toContain("install");
      expect(seen.filter((port) => sshdPorts.has(port))).toEqual([]);
      expect(await nodes(queen)).toEqual([expect.objectContaining({ node_name: "local", status: "ready" })]);
      // The hive keeps its state under the queen's own home, and runs from this installation.
      expect(descendants(hivePid()).length).toBeGreaterThan(0);
    } finally {
      await queen.stop();
    }
  }, 90_000);

  test("stopped gracefully, the queen takes its local hive and workers with it", async () => {
    const queen = await queenOnHome();
    await spawnWorker(queen, { node_name: "local", model_ref: modelRef });
    const hive = hivePid();
    const pids = workerPids();
    expect(pids).toHaveLength(1);
    expect(await queen.stop()).toBe(0);
    expect(alive(hive)).toBe(false);
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);

  test("killed with -9, the next queen finds the local hive and its worker again and starts nothing twice", async () => {
    const first = await queenOnHome();
    await spawnWorker(first, { node_name: "local", model_ref: modelRef });
    const [worker] = await workers(first);
    const hive = hivePid();
    const pids = workerPids();
    await first.kill();
    expect(alive(hive)).toBe(true);

    const second = await queenOnHome();
    try {
      let found: RegisteredWorker[] = [];
      for (const deadline = Date.now() + 20_000; found.length === 0 && Date.now() < deadline; ) {
        found = await workers(second);
        if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(found.map((w) => w.id)).toEqual([worker!.id]);
      const events: StreamEvent[] = [];
      const answer = await fetch(`${second.baseUrl}/v1/inference`, {
        method: "POST",
        headers: { authorization: `Bearer ${second.token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: modelRef, node: "local", prompt: "again", max_tokens: 4 }),
      });
      for (const line of (await answer.text()).split("\n")) {
        if (line.startsWith("data: {")) events.push(JSON.parse(line.slice(6)) as StreamEvent);
      }
      expect(events.find((event) => event.type === "started")).toMatchObject({ worker_id: worker!.id });
      expect(hivePid()).toBe(hive);
      expect(workerPids()).toEqual(pids);
    } finally {
      await second.stop();
    }
  }, 90_000);

  test("a request stopped while its model downloads starts no worker; the next one uses the download and starts one", async () => {
    const model = readFileSync(join(dir, "tiny.gguf"));
    // Held halfway (in whole steps), so that the request is stopped mid-download.
    const step = Math.max(1, Math.floor(model.length / 8));
    const server = await startModelFileServer({ "slow.gguf": model }, { stepBytes: step, stepMs: 20, holdAt: step * 4 });
    const queen = await queenOnHome();
    try {
      const body = JSON.stringify({ model: `${server.url}/slow.gguf`, node: "local", prompt: "hi", max_tokens: 2 });
      const headers = { authorization: `Bearer ${queen.token}`, "content-type": "application/json" };
      const stop = new AbortController();
      const first = await fetch(`${queen.baseUrl}/v1/inference`, { method: "POST", headers, body, signal: stop.signal });
      await server.held;
      stop.abort();
      await first.body?.cancel().catch(() => undefined);
      // The hive lets the download finish (for the next request), then starts no worker for this one.
      server.release();
      const hiveLog = (): string => {
        try {
          return readFileSync(join(home, "logs", "hive.log"), "utf8");
        } catch {
          return "";
        }
      };
      const before = hiveLog().split(/spawn of \S+ cancelled/).length;
      await until(() => hiveLog().split(/spawn of \S+ cancelled/).length > before, "the hive to cancel the spawn", 30_000);
      expect(workerPids()).toEqual([]);
      expect(await workers(queen)).toEqual([]);

      const second = await fetch(`${queen.baseUrl}/v1/inference`, { method: "POST", headers, body });
      const text = await second.text();
      expect(text).toContain('"type":"end"');
      expect(workerPids()).toHaveLength(1);
      expect((await workers(queen)).length).toBe(1);
      // One download: the second request found the file on disk.
      expect(server.requests.filter((request) => request.range === undefined)).toHaveLength(1);
    } finally {
      await queen.stop();
      await server.stop();
    }
  }, 90_000);

  test("removed, it stays removed after a restart; added back with transport local", async () => {
    const queen = await queenOnHome();
    const api = jsonClient(queen.baseUrl, queen.token);
    expect((await api.post("/v2/registry/beehives/remove", { node_name: "local" })).status).toBe(200);
    await queen.stop();

    const again = await queenOnHome();
    try {
      expect(await nodes(again)).toEqual([]);
      const added = await jsonClient(again.baseUrl, again.token).post("/v2/registry/beehives/add", { node_name: "local", transport: "local" });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ node: { node_name: "local", transport: "local" }, host_key_fingerprint: null });
      // One node per computer: a second local node would share its hive.
      const second = await jsonClient(again.baseUrl, again.token).post("/v2/registry/beehives/add", { node_name: "here", transport: "local" });
      expect(second).toMatchObject({ status: 409, body: { error: { code: "NODE_EXISTS" } } });
    } finally {
      await again.stop();
    }
  }, 60_000);
});
