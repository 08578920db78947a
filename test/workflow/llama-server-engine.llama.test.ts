// The llama-server engine as a user gets it: the real llm-worker-rbee with the real llama-server
// (and ggml-rpc-server) built by scripts/build-llama.sh, on a generated model.
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findLlamaProgram } from "../../src/node-common/llama-cpp-binaries.js";
import type { EndEvent, ErrorEvent, StreamEvent } from "../../src/shared/contract/index.js";
import { listeningSockets } from "../helpers/listening-sockets.js";
import { spawnNodeScript, spawnProcess, type RunningProcess } from "../helpers/process.js";
import { alive, descendants } from "../helpers/process-tree.js";
import { readStreamEvents, streamText } from "../helpers/sse.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { until } from "../helpers/until.js";

const BIN = resolve("dist/bin/llm-worker-rbee.js");
const TOKEN = `engine-test-${randomBytes(16).toString("hex")}`;
const LISTENING = /^llm-worker-rbee listening on (http:\/\/127\.0\.0\.1:\d+)$/;
const LOADED = /loaded tiny on cpu with (\S+)/;
const ENDLESS = 32_768;

let dir: string;
let modelPath: string;
const started: RunningProcess[] = [];

function buildMissing(): Error {
  return new Error("llama-server / ggml-rpc-server are not built on this machine: run `bash scripts/build-llama.sh`");
}

type Worker = { readonly process: RunningProcess; readonly url: string };

async function startWorker(id: string, extra: readonly string[]): Promise<Worker> {
  const child = spawnNodeScript(BIN, ["--worker-id", id, "--model", modelPath, "--model-ref", "tiny", "--port", "0", "--token", TOKEN, "--threads", "1", ...extra]);
  started.push(child);
  const [, url = ""] = await child.waitForLine(LISTENING);
  await child.waitForLine(LOADED, { stream: "stderr", timeoutMs: 60_000 });
  return { process: child, url };
}

/** The llama-server a worker runs: its only child (setpriv execs llama-server in place). */
function llamaServerOf(worker: Worker): number {
  const pids = descendants(worker.process.pid).filter((pid) => commandLine(pid).some((arg) => arg.endsWith("llama-server")));
  expect(pids, "the worker's llama-server child").toHaveLength(1);
  return pids[0]!;
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((arg) => arg !== "");
  } catch {
    return [];
  }
}

/** Gone for good: no such process, or one that has exited and waits only to be reaped. */
function gone(pid: number): boolean {
  if (!alive(pid)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

function infer(worker: Worker, body: unknown): Promise<Response> {
  return fetch(`${worker.url}/v1/inference`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function completion(worker: Worker, body: object): Promise<{ text: string; end: EndEvent }> {
  const response = await infer(worker, body);
  expect(response.status).toBe(200);
  const { events, done } = await readStreamEvents(response);
  expect(done).toBe(true);
  const end = events.at(-1);
  if (end?.type !== "end") throw new Error(`no end event: ${JSON.stringify(events.slice(-2))}`);
  return { text: streamText(events), end };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * Starts a stream that runs until stopped, waits for its first token, does `breakIt`, and answers
 * the stream's last event and how long after `breakIt` the stream ended.
 */
async function streamBrokenBy(worker: Worker, breakIt: () => void): Promise<{ last: StreamEvent | undefined; afterMs: number; done: boolean }> {
  let brokeAt = 0;
  const response = await infer(worker, { prompt: "Go on and on", max_tokens: ENDLESS, seed: 3 });
  const { events, done } = await readStreamEvents(response, (event) => {
    if (event.type === "token" && event.i === 2) {
      brokeAt = performance.now();
      breakIt();
    }
  });
  return { last: events.at(-1), afterMs: performance.now() - brokeAt, done };
}

// Without the llama.cpp build every case fails (one by one, not skipped), saying what to run.
const built = findLlamaProgram("llama-server", "cpu") !== undefined && findLlamaProgram("rpc-server", "cpu") !== undefined;
beforeEach(() => {
  if (!built) throw buildMissing();
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-llama-server-engine-"));
  modelPath = join(dir, "tiny.gguf");
  await writeTinyGguf(modelPath, { seed: 5, blocks: 8, text: "printable" });
});

afterAll(async () => {
  await Promise.all(started.map((child) => child.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("llm-worker-rbee --engine llama-server", () => {
  it("at temperature 0 with a seed writes the same text as the node-llama-cpp worker on the same model", async () => {
    const [node, server] = await Promise.all([startWorker("w-node", []), startWorker("w-server", ["--engine", "llama-server"])]);
    for (const prompt of ["Once upon a time", "The quick brown fox", "Hi"]) {
      const body = { prompt, max_tokens: 64, temperature: 0, seed: 1 };
      const [fromNode, fromServer] = [await completion(node, body), await completion(server, body)];
      expect(fromServer.end).toMatchObject({ tokens_out: 64, stop_reason: "max_tokens", tokens_in: fromNode.end.tokens_in });
      expect(fromServer.text.length).toBeGreaterThan(0);
      expect(fromServer.text, prompt).toBe(fromNode.text);
    }
    // The same prompt again reads its beginning from the slot.
    const again = await completion(server, { prompt: "Hi", max_tokens: 4, temperature: 0, seed: 1 });
    expect(again.end.tokens_cached).toBeGreaterThan(0);
  });

  it("runs llama-server on 127.0.0.1 only, with its API key in a 0600 file, never on its command line", async () => {
    const worker = await startWorker("w-sockets", ["--engine", "llama-server"]);
    const pid = llamaServerOf(worker);
    const sockets = listeningSockets([pid]);
    expect(sockets.length).toBeGreaterThan(0);
    for (const socket of sockets) expect(socket.address, `llama-server listens on ${socket.address}:${socket.port}`).toBe("127.0.0.1");
    const argv = commandLine(pid);
    expect(argv.join(" ")).not.toMatch(/api-key/);
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const keyFile = environ.find((entry) => entry.startsWith("LLAMA_ARG_API_KEY_FILE="))?.split("=")[1] ?? "";
    expect(keyFile).not.toBe("");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // Without the key llama-server answers nothing; the worker's own routes are the way in.
    const port = sockets[0]!.port;
    expect((await fetch(`http://127.0.0.1:${port}/completion`, { method: "POST", body: "{}" })).status).toBe(401);
  });

  it("stops its llama-server on shutdown and when the worker is killed (SIGKILL)", async () => {
    const [stopped, killed] = await Promise.all([
      startWorker("w-stop", ["--engine", "llama-server"]),
      startWorker("w-kill", ["--engine", "llama-server"]),
    ]);
    const [stoppedChild, killedChild] = [llamaServerOf(stopped), llamaServerOf(killed)];

    const shutdown = await fetch(`${stopped.url}/v1/admin/shutdown`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(shutdown.status).toBe(202);
    expect((await stopped.process.waitForExit()).code).toBe(0);
    expect(gone(stoppedChild)).toBe(true);

    killed.process.child.kill("SIGKILL");
    expect((await killed.process.waitForExit()).signal).toBe("SIGKILL");
    await until(() => gone(killedChild), "the killed worker's llama-server to die with it", 5000);
  });

  it("when llama-server dies mid-stream: the stream ends with WORKER_FAILED naming its exit within 2 s, the worker exits 1", async () => {
    const worker = await startWorker("w-crash", ["--engine", "llama-server"]);
    const child = llamaServerOf(worker);
    const { last, afterMs, done } = await streamBrokenBy(worker, () => process.kill(child, "SIGKILL"));
    expect(done).toBe(true);
    expect(last).toMatchObject({ type: "error", code: "WORKER_FAILED" });
    expect((last as ErrorEvent).message).toMatch(/llama-server exited unexpectedly \(signal SIGKILL\)/);
    expect(afterMs).toBeLessThan(2000);
    expect((await worker.process.waitForExit()).code).toBe(1);
    expect(worker.process.stderr()).toMatch(/llama-server exited unexpectedly/);
  });

  it("with --rpc puts the layers on a loopback ggml-rpc-server; losing it ends the stream with WORKER_FAILED within 2 s", async () => {
    const rpcPath = findLlamaProgram("rpc-server", "cpu")?.path;
    if (rpcPath === undefined) throw buildMissing();
    const port = await freePort();
    const rpc = spawnProcess(rpcPath, ["-H", "127.0.0.1", "-p", String(port), "-t", "1"]);
    started.push(rpc);
    // It buffers its stdout into a pipe: its listening socket is the sign that it is up.
    await until(() => listeningSockets([rpc.pid]).some((socket) => socket.port === port), "ggml-rpc-server to listen", 20_000);

    const worker = await startWorker("w-rpc", ["--engine", "llama-server", "--rpc", `127.0.0.1:${port}`]);
    const log = worker.process.stderr();
    expect(log).toMatch(/llama-server: .*load_tensors: offloaded 9\/9 layers/);
    expect(log).toMatch(/llama-server: .*RPC0\[[^\]]*\] model buffer size = +[\d.]+ MiB/);
    const { end } = await completion(worker, { prompt: "Split across machines", max_tokens: 8, temperature: 0, seed: 1 });
    expect(end).toMatchObject({ tokens_out: 8, stop_reason: "max_tokens" });

    const { last, afterMs } = await streamBrokenBy(worker, () => rpc.child.kill("SIGKILL"));
    expect(last, `${JSON.stringify(last)}\n${worker.process.stderr().split("\n").slice(-15).join("\n")}`).toMatchObject({ type: "error", code: "WORKER_FAILED" });
    expect((last as ErrorEvent).message).toMatch(/llama-server exited unexpectedly/);
    expect(afterMs).toBeLessThan(2000);
    expect((await worker.process.waitForExit()).code).toBe(1);
  });
});
