// Fault injection on real processes: a worker killed mid-stream, a worker the registry lists but
// its node no longer runs, a queen killed during a burst of writes, a node whose SSH goes away and
// comes back (a stopped worker must stay stopped), a half-open SSH link.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RegisteredWorker, StreamEvent } from "../../src/shared/contract/index.js";
import { HEALTH_COMMAND_TIMEOUT_MS } from "../../src/core/nodes/node-check.js";
import { EXPIRE_AFTER_BEATS } from "../../src/core/monitors/worker-liveness.js";
import { jsonClient } from "../helpers/http-client.js";
import { pidsMatching } from "../helpers/listening-sockets.js";
import { alive, descendants, signalAll } from "../helpers/process-tree.js";
import { makeProjectRepo } from "../helpers/project-repo.js";
import { statusOf, watchQueen, type QueenWatch } from "../helpers/queen-events.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { sseMessages } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

const HEARTBEAT_MS = 500;
const HEALTH_MS = 1000;

let dir: string;
let home: string;
let sshd: Sshd;
let other: Sshd;
let queen: QueenProcess;
let modelRef: string;
let repoUrl: string;
const installPath = () => join(dir, "node", "rbee");
const queenEnv = () => ({
  RBEE_NODE_HOME: join(dir, "node", "home"),
  RBEE_WORKER_THREADS: "1",
  RBEE_HEARTBEAT_MS: String(HEARTBEAT_MS),
  RBEE_HEALTH_INTERVAL_MS: String(HEALTH_MS),
});
const api = () => jsonClient(queen.baseUrl, queen.token);
const workers = async (): Promise<RegisteredWorker[]> => (await api().get("/v1/workers/list")).body.workers;
const nodeStatus = async (name: string): Promise<string> =>
  (await api().get("/v2/registry/beehives/list")).body.nodes.find((n: { node_name: string }) => n.node_name === name)?.status;
const workerPids = () => pidsMatching(join(installPath(), "dist", "bin", "llm-worker-rbee.js"));
/** How long a silent worker stays registered, plus a liveness round and slack. */
const EXPIRY_MS = (EXPIRE_AFTER_BEATS + 2) * HEARTBEAT_MS + 2_000;

/** The queen's state feed for the length of one test (closed by the test's finally). */
let watch: QueenWatch | undefined;
async function watching(): Promise<QueenWatch> {
  watch?.close();
  watch = await watchQueen(queen.baseUrl, queen.token);
  return watch;
}
const onMac = (workers: readonly RegisteredWorker[]) => workers.filter((w) => w.node_name === "mac");

/** Starts an inference and returns its events as they come, plus a way to wait for one. */
/** Starts an inference; `prompt` differs per test where no worker may hold it (the scheduler prefers one that does). */
async function startInference(maxTokens: number, prompt = "hello") {
  const response = await fetch(`${queen.baseUrl}/v1/inference`, {
    method: "POST",
    headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: modelRef, prompt, max_tokens: maxTokens, node: "mac" }),
  });
  const events: StreamEvent[] = [];
  const messages = sseMessages(response.body!);
  const next = async (): Promise<StreamEvent | undefined> => {
    const { value, done } = await messages.next();
    if (done || value.data === "[DONE]") return undefined;
    const event = JSON.parse(value.data) as StreamEvent;
    events.push(event);
    return event;
  };
  return { events, next };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-faults-"));
  home = join(dir, "queen");
  repoUrl = makeProjectRepo(join(dir, "repo"));
  const model = join(dir, "tiny.gguf");
  await writeTinyGguf(model, { seed: 3 });
  modelRef = `file:${model}`;
  [sshd, other] = await Promise.all([startSshd(), startSshd()]);
  queen = await startQueen({ home, env: queenEnv() });
  const base = { ssh_host: "127.0.0.1", git_repo_url: repoUrl, install_path: installPath() };
  expect((await api().post("/v2/registry/beehives/add", { ...base, node_name: "mac", ssh_port: sshd.port, ssh_user: sshd.user, ssh_key_path: sshd.keyPath })).status).toBe(201);
  expect((await api().post("/v2/registry/beehives/add", { ...base, node_name: "other", ssh_port: other.port, ssh_user: other.user, ssh_key_path: other.keyPath })).status).toBe(201);
  const install = await fetch(`${queen.baseUrl}/v2/registry/beehives/install`, {
    method: "POST",
    headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
    body: JSON.stringify({ node_name: "mac" }),
  });
  await install.text();
  expect(await nodeStatus("mac")).toBe("ready");
}, 300_000);

afterAll(async () => {
  watch?.close();
  await queen?.stop();
  await Promise.all([sshd?.dispose(), other?.dispose()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("load", () => {
  test("20 concurrent streams over several slots: every stream complete, none mixed with another", async () => {
    const spawn = await fetch(`${queen.baseUrl}/v1/workers/spawn`, {
      method: "POST",
      headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
      body: JSON.stringify({ node_name: "mac", model_ref: modelRef, slots: 4 }),
    });
    const spawned = (await readStream(spawn)).at(-1) as unknown as { type: string; worker: RegisteredWorker };
    expect(spawned).toMatchObject({ type: "worker", worker: { slots_total: 4 } });

    const run = async (seed: number) => {
      const response = await fetch(`${queen.baseUrl}/v1/inference`, {
        method: "POST",
        headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: modelRef, prompt: `stream ${seed}`, max_tokens: 24, seed, node: "mac" }),
      });
      return readStream(response);
    };
    const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
    const together = await Promise.all(seeds.map(run));
    const jobIds = new Set<string>();
    for (const events of together) {
      const started = events.find((e) => e.type === "started");
      expect(started, JSON.stringify(events.filter((e) => e.type !== "token"))).toMatchObject({ worker_id: spawned.worker.id });
      jobIds.add((started as { job_id: string }).job_id);
      const tokens = events.filter((e) => e.type === "token");
      expect(tokens.map((t) => (t as { i: number }).i)).toEqual(Array.from({ length: 24 }, (_, i) => i));
      expect(events.at(-1)).toMatchObject({ type: "end", tokens_out: 24, stop_reason: "max_tokens" });
    }
    expect(jobIds.size).toBe(20);
    // Each stream carries its own text: the same seed alone gives the same tokens.
    for (const [index, seed] of seeds.entries()) {
      const alone = await run(seed);
      expect(textOf(together[index]!), `seed ${seed}`).toBe(textOf(alone));
    }
    const pids = workerPids();
    expect((await api().delete(`/v1/workers/${spawned.worker.id}`)).status).toBe(204);
    await waitFor(async () => pids.every((pid) => !alive(pid)), 10_000);
  }, 120_000);
});

describe("faults", () => {
  test("kill -9 a worker mid-stream: an error within 2 s, the registry clean, the next request gets a fresh worker", async () => {
    const events = await watching();
    const stream = await startInference(30_000);
    let event: StreamEvent | undefined;
    do event = await stream.next();
    while (event && event.type !== "token");
    const [killed] = (await workers()).map((w) => w.id);
    const pids = workerPids();
    expect(pids).toHaveLength(1);
    const killedAt = Date.now();
    process.kill(pids[0]!, "SIGKILL");
    do event = await stream.next();
    while (event && event.type === "token");
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(event, `${JSON.stringify(stream.events.filter((e) => e.type !== "token"))}\n${queen.output().slice(-2000)}`).toMatchObject({ type: "error", code: "WORKER_FAILED" });
    expect(stream.events.filter((e) => e.type === "token").length).toBeGreaterThan(0);
    // Seen listed first, so that an empty snapshot from before its spawn cannot pass for its removal.
    await events.seen((state) => state.workers.some((w) => w.id === killed), 5_000, "the worker listed");
    await events.until((state) => state.workers.length === 0, EXPIRY_MS, "the killed worker out of the registry");

    const fresh = await startInference(4);
    while ((await fresh.next()) !== undefined);
    expect(fresh.events.at(-1)).toMatchObject({ type: "end", stop_reason: "max_tokens" });
    const started = fresh.events.find((e) => e.type === "started");
    expect(started).toMatchObject({ node_name: "mac" });
    expect(started && "worker_id" in started && started.worker_id).not.toBe(killed);
  }, 60_000);

  test("a job placed on a worker its node no longer runs (WORKER_NOT_FOUND) is placed again, on a live worker, and succeeds", async () => {
    const events = await watching();
    const live = await answeringWorker();
    // Listed with the most free slots and a prompt no worker ran, so that the scheduler picks it
    // first; its hive never heard of it.
    const ghost = {
      worker_id: "mac-ghost", url: "http://127.0.0.1:9", model_ref: modelRef, backend: "cpu", device: 0,
      slots_total: 64, slots_available: 64, node_name: "mac",
    };
    expect((await api().post("/v1/workers/register", ghost)).status).toBe(201);
    await events.until((state) => state.workers.some((w) => w.id === ghost.worker_id), 5_000, "the ghost listed");

    const stream = await startInference(3, "a prompt no worker has seen");
    while ((await stream.next()) !== undefined);
    const outcome = JSON.stringify(stream.events.filter((e) => e.type !== "token"));
    expect(stream.events.find((e) => e.type === "started"), `the job was not placed again: ${outcome}`).toMatchObject({ worker_id: live });
    expect(stream.events.at(-1), outcome).toMatchObject({ type: "end", stop_reason: "max_tokens" });
    expect((await workers()).map((w) => w.id), "the ghost is still listed").not.toContain(ghost.worker_id);
  }, 60_000);

  test("kill -9 the queen during a burst of writes: writes were in flight when it died, every acknowledged one is there, workers rediscovered", async () => {
    // The worker that answers now (the registry may still list one that died a moment ago).
    const running = await answeringWorker();
    const LANES = 8;
    const KILL_AFTER = 40;
    const acknowledged: string[] = [];
    const unacknowledged: { name: string; sentAt: number }[] = [];
    const otherAnswers: string[] = [];
    let next = 0;
    let killing: Promise<number> | undefined;
    // Each lane writes one node after another until the queen is gone: at the kill, every lane has a write in flight.
    const lane = async (): Promise<void> => {
      for (;;) {
        const name = `burst-${next++}`;
        const sentAt = performance.now();
        try {
          const answer = await api().post("/v2/registry/beehives/add?verify=false", {
            node_name: name, ssh_host: "127.0.0.1", ssh_port: 1, ssh_user: "x", git_repo_url: repoUrl, install_path: "/tmp/x",
          });
          if (answer.status === 201) acknowledged.push(name);
          else otherAnswers.push(`${name}: HTTP ${answer.status}`);
        } catch {
          // The queen died under this request (or before it): not acknowledged.
          unacknowledged.push({ name, sentAt });
          return;
        }
        if (!killing && acknowledged.length >= KILL_AFTER) killing = queen.kill().then(() => performance.now());
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    expect(killing, "the queen was never killed").toBeDefined();
    const diedAt = await killing!;
    expect(otherAnswers).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    const inFlight = unacknowledged.filter((write) => write.sentAt < diedAt);
    expect(inFlight.length, "no write was in flight when the queen died: the kill did not land mid-burst").toBeGreaterThan(0);

    queen = await startQueen({ home, env: queenEnv() });
    const db = new Database(join(home, "beehives.db"), { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    const stored = new Set((db.prepare("SELECT node_name FROM beehives").all() as { node_name: string }[]).map((r) => r.node_name));
    db.close();
    const lost = acknowledged.filter((name) => !stored.has(name));
    expect(lost, "acknowledged writes missing after the crash").toEqual([]);
    const events = await watching();
    const rediscovered = await events.until((state) => state.workers.find((w) => w.id === running), 15_000, "the running worker rediscovered");
    expect(rediscovered).toMatchObject({ node_name: "mac", model_ref: modelRef });
    // Rediscovered means usable: it answers through the new queen.
    const stream = await startInference(3);
    while ((await stream.next()) !== undefined);
    expect(stream.events.find((e) => e.type === "started")).toMatchObject({ worker_id: running });
    expect(stream.events.at(-1)).toMatchObject({ type: "end" });
    for (const name of stored) if (name.startsWith("burst-")) await api().post("/v2/registry/beehives/remove", { node_name: name });
  }, 90_000);

  test("a node whose SSH goes away: unreachable, others unaffected, the API responsive; its silent worker is stopped and stays stopped (409) when the node is back", async () => {
    const events = await watching();
    await events.until((state) => statusOf(state, "mac") === "ready", 5_000, "mac ready before the cut");
    expect(statusOf(events.current(), "other")).toBe("reachable");
    const [worker] = onMac(events.current().workers);
    expect(worker, "a worker on mac from the test before").toBeDefined();
    const [pid] = workerPids();
    expect(pid).toBeDefined();
    await sshd.cut();
    await events.until((state) => statusOf(state, "mac") === "unreachable", HEALTH_MS * 3 + 2_000, "mac unreachable");
    const started = Date.now();
    const listed = await api().get("/v2/registry/beehives/list");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(listed.body.nodes.find((n: { node_name: string }) => n.node_name === "other").status).toBe("reachable");
    // A request for the lost node fails in words, fast, rather than hanging.
    const answerStarted = Date.now();
    const stream = await startInference(3);
    while ((await stream.next()) !== undefined);
    expect(Date.now() - answerStarted).toBeLessThan(2_000);
    expect(stream.events.at(-1)).toMatchObject({ type: "error" });

    // Silent past its heartbeats, the worker is retired and marked stopped; its node cannot be told yet.
    await events.until((state) => !state.workers.some((w) => w.id === worker!.id), EXPIRY_MS, "the silent worker retired");
    expect(alive(pid!), "the worker should still run on its node: the stop could not reach it").toBe(true);
    const back = events.history.length;

    await sshd.start();
    await events.until((state) => statusOf(state, "mac") === "ready", 40_000, "mac ready again").catch((error) => {
      console.log("QUEEN OUTPUT", queen.output().slice(-3000));
      throw error;
    });
    // Its hive relays its registration through the new tunnel: refused (409), and the worker stopped.
    // No OS signal tells a process's end to a non-parent: look at /proc until it is gone or listed again.
    const listedAgain = () => events.history.slice(back).some((state) => state.workers.some((w) => w.id === worker!.id));
    await waitFor(async () => !alive(pid!) || listedAgain(), 15_000);
    expect(listedAgain(), "the stopped worker registered again").toBe(false);
    expect(alive(pid!), "the stopped worker still runs on its node").toBe(false);
    // Whoever asks for it next is refused just the same.
    const again = await api().post("/v1/workers/register", {
      worker_id: worker!.id, url: worker!.url, model_ref: worker!.model_ref, backend: worker!.backend, device: worker!.device,
      slots_total: worker!.slots_total, slots_available: worker!.slots_total, node_name: "mac",
    });
    expect(again.status, JSON.stringify(again.body)).toBe(409);
    expect(again.body.error.code).toBe("WORKER_CONFLICT");
    expect(onMac(await workers())).toEqual([]);

    expect(await nodeStatus("other")).toBe("reachable");
    const after = await startInference(3);
    while ((await after.next()) !== undefined);
    if (after.events.at(-1)?.type !== "end") console.log("QUEEN OUTPUT", queen.output().slice(-4000));
    expect(after.events.at(-1), JSON.stringify(after.events.at(-1))).toMatchObject({ type: "end" });
  }, 90_000);

  test("a half-open SSH link (the session's sshd processes stopped, TCP still open): unreachable within the health check's bound, back after SIGCONT", async () => {
    const events = await watching();
    await events.until((state) => statusOf(state, "mac") === "ready", 10_000, "mac ready");
    // The per-connection sshd processes (and whatever they run): the listener stays, the link goes silent.
    const listener = Number(readFileSync(join(sshd.dir, "sshd.pid"), "utf8"));
    const sessions = descendants(listener);
    expect(sessions.length, "no SSH session to stop").toBeGreaterThan(0);
    const bound = HEALTH_MS + HEALTH_COMMAND_TIMEOUT_MS + 2_000;
    try {
      const stoppedAt = performance.now();
      signalAll(sessions, "SIGSTOP");
      const seen = await events.until((state) => statusOf(state, "mac") === "unreachable" && state, bound, `mac unreachable within ${bound} ms of its link going silent`);
      expect(seen.at - stoppedAt).toBeLessThan(bound);
      expect(statusOf(events.current(), "other")).toBe("reachable");
    } finally {
      signalAll(sessions, "SIGCONT");
    }
    await events.until((state) => statusOf(state, "mac") === "ready", 20_000, "mac ready after SIGCONT");
  }, 60_000);
});

/** The id of a worker that answers a request now. */
async function answeringWorker(): Promise<string> {
  const stream = await startInference(1);
  while ((await stream.next()) !== undefined);
  const started = stream.events.find((e) => e.type === "started");
  expect(started, JSON.stringify(stream.events)).toBeDefined();
  return (started as { worker_id: string }).worker_id;
}

async function readStream(response: Response): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const message of sseMessages(response.body!)) {
    if (message.data === "[DONE]") break;
    events.push(JSON.parse(message.data) as StreamEvent);
  }
  return events;
}

const textOf = (events: readonly StreamEvent[]): string => events.map((e) => (e.type === "token" ? e.t : "")).join("");

/** Re-checks `probe` every 50 ms until it is truthy (bounded): only for what has no signal (a non-child's exit). */
async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; the queen said:\n${queen.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

