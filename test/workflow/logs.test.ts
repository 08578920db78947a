// Logs and worker exits end to end: a real queen, a real loopback sshd, an installed node, real
// workers on a generated model, and the real rbee-keeper program. The lines a worker writes
// (loading, one per job) are read and followed through the queen; a worker killed with -9 keeps
// its log and the queen reports how it died.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LogStreamEvent, type RegisteredWorker, type WorkerExit } from "../../src/shared/contract/index.js";
import { jsonClient } from "../helpers/http-client.js";
import { addInstalledNode, postJson, spawnWorker } from "../helpers/installed-node.js";
import { spawnNodeScript } from "../helpers/process.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readSseJson, readStreamEvents, sseMessages } from "../helpers/sse.js";
import { freePort, startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let modelRef: string;
let worker: RegisteredWorker;
const nodeHome = (): string => join(dir, "node", "home");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-logs-"));
  await writeTinyGguf(join(dir, "tiny.gguf"), { seed: 5 });
  modelRef = `file:${join(dir, "tiny.gguf")}`;
  sshd = await startSshd();
  queen = await startQueen({ env: { RBEE_NODE_HOME: nodeHome(), RBEE_WORKER_THREADS: "1" } });
  await addInstalledNode(queen, sshd, "mac", join(dir, "node"));
  worker = await spawnWorker(queen, { node_name: "mac", model_ref: modelRef });
}, 300_000);

afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const api = () => jsonClient(queen.baseUrl, queen.token);

/** Follows a log through the queen: each line as it arrives, and whether the stream ended with [DONE]. */
class FollowedLog {
  readonly lines: string[] = [];
  readonly abort = new AbortController();
  /** Resolves once the queen answered (the hive accepted the follow). */
  readonly opened: Promise<Response>;
  readonly ended: Promise<{ readonly done: boolean }>;

  constructor(query: string) {
    this.opened = fetch(`${queen.baseUrl}/v2/logs?${query}&follow=true`, {
      headers: { authorization: `Bearer ${queen.token}`, accept: "text/event-stream" },
      signal: this.abort.signal,
    });
    this.ended = this.opened.then(async (response) => {
      const { done } = await readSseJson(response, (raw) => {
        const event = LogStreamEvent.parse(raw);
        if (event.type === "log") this.lines.push(event.line);
      });
      return { done };
    });
    this.ended.catch(() => undefined);
  }

  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => pattern.test(line));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no line matching ${pattern} in:\n${this.lines.join("\n")}`);
      await new Promise((resolveTick) => setTimeout(resolveTick, 10));
    }
  }
}

/** One inference on the worker's model; answers its job id. */
async function infer(): Promise<string> {
  const { events } = await readStreamEvents(await postJson(queen, "/v1/inference", { model: modelRef, node: "mac", prompt: "hi", max_tokens: 4, seed: 1 }));
  const started = events.find((event) => event.type === "started");
  expect(events.at(-1)).toMatchObject({ type: "end" });
  return (started as { job_id: string }).job_id;
}

/** Resolves with the queen's kept exit of `workerId` once it has one (the exits feed, as the UI reads it). */
async function exitOf(workerId: string): Promise<WorkerExit> {
  const abort = new AbortController();
  const response = await fetch(`${queen.baseUrl}/v1/events`, { headers: { authorization: `Bearer ${queen.token}` }, signal: abort.signal });
  const timer = setTimeout(() => abort.abort(), 20_000);
  try {
    for await (const message of sseMessages(response.body!)) {
      const event = JSON.parse(message.data) as { type: string; exits?: WorkerExit[] };
      const found = event.type === "exits" ? event.exits?.find((exit) => exit.worker_id === workerId) : undefined;
      if (found) return found;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  throw new Error(`no exit of ${workerId} reached the queen`);
}

describe("GET /v2/logs", () => {
  test("a worker's log holds its load lines; the node's hive log says it started it", async () => {
    const { status, body } = await api().get(`/v2/logs?node=mac&worker=${worker.id}`);
    expect(status).toBe(200);
    const lines = body.lines as string[];
    expect(lines.some((line) => line.includes(`loaded ${modelRef} on cpu`))).toBe(true);
    expect(lines.some((line) => /llm-worker-rbee listening on http:\/\/127\.0\.0\.1:\d+/.test(line))).toBe(true);
    const limited = await api().get(`/v2/logs?node=mac&worker=${worker.id}&lines=2`);
    expect(limited.body.lines).toEqual(lines.slice(-2));

    const hive = await api().get("/v2/logs?node=mac");
    expect(hive.status).toBe(200);
    expect((hive.body.lines as string[]).some((line) => line.includes(`worker ${worker.id} is ready`))).toBe(true);
  });

  test("follow=true streams a line the worker writes after the request started (an inference's job line)", async () => {
    const followed = new FollowedLog(`node=mac&worker=${worker.id}&lines=0`);
    expect((await followed.opened).headers.get("content-type")).toMatch(/^text\/event-stream/);
    const jobId = await infer();
    const line = await followed.waitFor(new RegExp(`job ${jobId} max_tokens: \\d+ prompt tokens`));
    expect(line).toMatch(/ 4 generated, ttft \d+ ms/);
    // lines=0: only what came after the request.
    expect(followed.lines.some((seen) => seen.includes("loaded"))).toBe(false);
    followed.abort.abort();
  });

  test("bad queries are refused with what is wrong; an unknown node, worker or an unreachable node say so", async () => {
    for (const query of ["node=mac&worker=..%2F..%2Fetc%2Fpasswd", "node=mac&lines=-1", "node=mac&lines=99999999999", "node=mac&lines=abc", "node=..%2Fetc"]) {
      const { status, body } = await api().get(`/v2/logs?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.code).toBe("INVALID_REQUEST");
    }
    expect((await api().get("/v2/logs?node=nope")).body.error.code).toBe("NODE_NOT_FOUND");
    const unknownWorker = await api().get("/v2/logs?node=mac&worker=w-nobody");
    expect(unknownWorker.status).toBe(404);
    expect(unknownWorker.body.error).toMatchObject({ code: "WORKER_NOT_FOUND", message: expect.stringContaining("w-nobody") });
    const followUnknown = await fetch(`${queen.baseUrl}/v2/logs?node=mac&worker=w-nobody&follow=true`, { headers: { authorization: `Bearer ${queen.token}` } });
    expect(followUnknown.status).toBe(404);
    await followUnknown.body?.cancel();

    const closed = await freePort();
    const added = await api().post("/v2/registry/beehives/add?verify=false", {
      node_name: "gone",
      ssh_host: "127.0.0.1",
      ssh_port: closed,
      ssh_user: sshd.user,
      ssh_key_path: sshd.keyPath,
      git_repo_url: "file:///nowhere",
      install_path: join(dir, "gone"),
    });
    expect(added.status).toBe(201);
    const unreachable = await api().get("/v2/logs?node=gone");
    expect(unreachable.status).toBe(502);
    expect(unreachable.body.error.code).toBe("SSH_FAILED");
    expect(unreachable.body.error.message).toMatch(/refused/i);
    await api().post("/v2/registry/beehives/remove", { node_name: "gone" });
  });

  test("no log file on the node carries a secret: the queen's token, the hive's, or a worker's", async () => {
    const hiveToken = readFileSync(join(nodeHome(), "hive-token"), "utf8").trim();
    const hive = JSON.parse(readFileSync(join(nodeHome(), "hive.json"), "utf8")) as { url: string };
    const listed = (await (await fetch(`${hive.url}/v1/workers/list`, { headers: { authorization: `Bearer ${hiveToken}` } })).json()) as {
      workers: { token: string }[];
    };
    const secrets = [queen.token, hiveToken, ...listed.workers.map((listedWorker) => listedWorker.token)];
    expect(secrets.every((secret) => secret.length >= 16)).toBe(true);
    const files = readdirSync(join(nodeHome(), "logs"));
    expect(files).toEqual(expect.arrayContaining(["hive.log", `worker-${worker.id}.log`]));
    for (const file of files) {
      const text = readFileSync(join(nodeHome(), "logs", file), "utf8");
      for (const secret of secrets) expect(text.includes(secret), `${file} holds a secret`).toBe(false);
    }
  });
});

describe("a worker that dies", () => {
  test("killed with -9: its follow ends, its log stays readable, and the queen keeps its exit until dismissed", async () => {
    const victim = await spawnWorker(queen, { node_name: "mac", model_ref: modelRef });
    const followed = new FollowedLog(`node=mac&worker=${victim.id}&lines=5`);
    await followed.opened;
    const pid = await (async () => {
      const hiveToken = readFileSync(join(nodeHome(), "hive-token"), "utf8").trim();
      const hive = JSON.parse(readFileSync(join(nodeHome(), "hive.json"), "utf8")) as { url: string };
      const listed = (await (await fetch(`${hive.url}/v1/workers/list`, { headers: { authorization: `Bearer ${hiveToken}` } })).json()) as {
        workers: { id: string; pid: number }[];
      };
      return listed.workers.find((listedWorker) => listedWorker.id === victim.id)!.pid;
    })();
    const exitReported = exitOf(victim.id);
    process.kill(pid, "SIGKILL");

    const exit = await exitReported;
    expect(exit).toMatchObject({ worker_id: victim.id, node_name: "mac", model_ref: modelRef, code: null, signal: "SIGKILL", phase: "running" });
    expect(exit.last_lines.some((line) => line.includes(`loaded ${modelRef}`))).toBe(true);
    expect(exit.last_lines.at(-1)).toMatch(/hive worker was killed by SIGKILL$/);
    // Gone from the workers at once, not after its missed heartbeats.
    const workers = (await api().get("/v1/workers/list")).body.workers as RegisteredWorker[];
    expect(workers.map((listedWorker) => listedWorker.id)).not.toContain(victim.id);

    // The follow saw the end and finished; the log can still be read.
    expect(await followed.ended).toEqual({ done: true });
    expect(followed.lines.at(-1)).toMatch(/killed by SIGKILL$/);
    const after = await api().get(`/v2/logs?node=mac&worker=${victim.id}`);
    expect(after.status).toBe(200);
    expect(after.body.lines.at(-1)).toMatch(/hive worker was killed by SIGKILL$/);
    // Following a stopped worker gives its last lines, then ends.
    const late = new FollowedLog(`node=mac&worker=${victim.id}&lines=1`);
    expect(await late.ended).toEqual({ done: true });
    expect(late.lines).toEqual([after.body.lines.at(-1)]);

    expect((await api().get("/v1/workers/exits")).body.exits.map((kept: WorkerExit) => kept.worker_id)).toContain(victim.id);
    expect((await api().delete(`/v1/workers/exits/${victim.id}`)).status).toBe(204);
    expect((await api().get("/v1/workers/exits")).body.exits).toEqual([]);
    expect((await api().delete(`/v1/workers/exits/${victim.id}`)).body.error.code).toBe("WORKER_NOT_FOUND");
  }, 60_000);

  test("a worker stopped by the user is no exit to report", async () => {
    const stopped = await spawnWorker(queen, { node_name: "mac", model_ref: modelRef });
    expect((await api().delete(`/v1/workers/${stopped.id}`)).status).toBe(204);
    const log = await api().get(`/v2/logs?node=mac&worker=${stopped.id}`);
    expect(log.body.lines.at(-1)).toMatch(/hive worker exited with code \d+$/);
    expect((await api().get("/v1/workers/exits")).body.exits).toEqual([]);
  }, 60_000);
});

describe("rbee-keeper logs", () => {
  const keeperEnv = () => ({ ...process.env, RBEE_QUEEN_URL: queen.baseUrl, RBEE_TOKEN: queen.token, RBEE_HOME: join(dir, "keeper-home") });
  const KEEPER = resolve("dist/bin/rbee-keeper.js");

  test("--follow prints the node's new lines as they come and exits 130 on Ctrl+C", async () => {
    const keeper = spawnNodeScript(KEEPER, ["logs", "--node", "mac", "--follow", "--lines", "1"], { env: keeperEnv() });
    // Its first line: the last line of the hive log so far.
    await keeper.waitForLine(/^rbee-hive \S+ /, { stream: "stdout" });
    const spawned = await spawnWorker(queen, { node_name: "mac", model_ref: modelRef });
    await keeper.waitForLine(new RegExp(`worker ${spawned.id} is ready`), { stream: "stdout" });
    keeper.child.kill("SIGINT");
    expect(await keeper.waitForExit()).toEqual({ code: 130, signal: null });
    expect(keeper.stderr()).toBe("");
    await api().delete(`/v1/workers/${spawned.id}`);
  }, 60_000);

  test("without --follow it prints the last lines and exits 0; a wrong node says what to do and exits 1", async () => {
    const last = spawnNodeScript(KEEPER, ["logs", "--node", "mac", "--worker", worker.id, "--lines", "3"], { env: keeperEnv() });
    expect(await last.waitForExit()).toEqual({ code: 0, signal: null });
    const { body } = await api().get(`/v2/logs?node=mac&worker=${worker.id}&lines=3`);
    expect(last.stdout()).toBe(`${(body.lines as string[]).join("\n")}\n`);

    const wrong = spawnNodeScript(KEEPER, ["logs", "--node", "nope"], { env: keeperEnv() });
    expect((await wrong.waitForExit()).code).toBe(1);
    expect(wrong.stderr()).toMatch(/nope.*rbee-keeper setup list-nodes/s);
    const badLines = spawnNodeScript(KEEPER, ["logs", "--node", "mac", "--lines", "-1"], { env: keeperEnv() });
    expect((await badLines.waitForExit()).code).toBe(1);
    expect(badLines.stderr()).toMatch(/--lines/);
  }, 60_000);
});
