import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getLlamaGpuTypes } from "node-llama-cpp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findLlamaProgram } from "../../src/node-common/llama-cpp-binaries.js";
import { ErrorBody, WorkerReadyResponse, type Engine, type StreamEvent } from "../../src/shared/contract/index.js";
import { startCallbackReceiver, type CallbackReceiver, type ReceivedCallback } from "../helpers/callback-receiver.js";
import { machineGpus, titleWithoutGpu } from "../helpers/gpu.js";
import { spawnNodeScript, type RunningProcess } from "../helpers/process.js";
import { readStreamEvents, streamText } from "../helpers/sse.js";
import { writeTinyGguf, type TinyGgufOptions } from "../helpers/tiny-gguf.js";

const BIN = resolve("dist/bin/llm-worker-rbee.js");
const TOKEN = `worker-test-${randomBytes(16).toString("hex")}`;
const LISTENING = /^llm-worker-rbee listening on (http:\/\/127\.0\.0\.1:\d+)$/;
// Far more tokens than a test waits for: such a job runs until it is cancelled.
const ENDLESS = 32_768;
// Where llama.cpp could use CUDA (its own check, or a GPU nvidia-smi reports), a cuda worker may start.
const cudaPresent = (await getLlamaGpuTypes("supported")).includes("cuda") || machineGpus().cuda;

/** One engine the worker API is tested with, and the test model it loads. */
type EngineCase = { readonly engine: Engine; readonly model: TinyGgufOptions };
// llama-server answers HTTP 500 to output that is not UTF-8: its model writes printable text only.
const ENGINES: readonly EngineCase[] = [
  { engine: "node-llama-cpp", model: { seed: 42 } },
  { engine: "llama-server", model: { seed: 42, text: "printable" } },
];

let engine: Engine;
let dir: string;
let modelPath: string;
let receiver: CallbackReceiver;
let worker: RunningProcess;
let workerUrl: string;
let standalone: RunningProcess;
let standaloneUrl: string;

function workerArgs(id: string, extra: readonly string[] = []): string[] {
  const engineArgs = engine === "node-llama-cpp" ? [] : ["--engine", engine];
  return ["--worker-id", id, "--model", modelPath, "--model-ref", "tiny-test", "--port", "0", "--token", TOKEN, "--threads", "1", ...engineArgs, ...extra];
}

function call(base: string, path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const { token = TOKEN, headers, ...rest } = init;
  return fetch(`${base}${path}`, {
    ...rest,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(headers as Record<string, string>) },
  });
}

function infer(body: unknown, options: { base?: string; signal?: AbortSignal } = {}): Promise<Response> {
  return call(options.base ?? workerUrl, "/v1/inference", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

async function errorOf(response: Response): Promise<ErrorBody["error"]> {
  return ErrorBody.parse(await response.json()).error;
}

function endOf(events: readonly StreamEvent[]): Extract<StreamEvent, { type: "end" }> {
  const last = events.at(-1);
  if (last?.type !== "end") throw new Error(`stream did not end with "end": ${JSON.stringify(events.slice(-3))}`);
  return last;
}

/** Resolves when `predicate` holds for an event; for cancelling or racing mid-stream. */
function eventSignal(predicate: (event: StreamEvent) => boolean): { seen: Promise<void>; onEvent: (event: StreamEvent) => void } {
  let fire: () => void = () => undefined;
  const seen = new Promise<void>((resolveSeen) => {
    fire = resolveSeen;
  });
  return { seen, onEvent: (event) => (predicate(event) ? fire() : undefined) };
}

/** Waits for a callback that arrives after the first `after` calls. */
function callbackAfter(after: number, predicate: (call: ReceivedCallback) => boolean): Promise<ReceivedCallback> {
  return receiver.waitFor((c) => receiver.calls.indexOf(c) >= after && predicate(c));
}

// Each engine in turn: the queen must not be able to tell them apart through the worker API.
describe.each(ENGINES)("llm-worker-rbee ($engine)", (testCase) => {
  // Without the llama.cpp build every llama-server case fails (one by one, not skipped), saying what to run.
  const missing =
    testCase.engine === "llama-server" && findLlamaProgram("llama-server", "cpu") === undefined
      ? new Error("llama-server is not built on this machine: run `bash scripts/build-llama.sh` (it builds into ~/.cache/rbee/llama.cpp)")
      : undefined;
  beforeEach(() => {
    if (missing) throw missing;
  });

  beforeAll(async () => {
    engine = testCase.engine;
    if (missing) return;
    dir = await mkdtemp(join(tmpdir(), "rbee-worker-test-"));
    modelPath = join(dir, "tiny.gguf");
    await writeTinyGguf(modelPath, testCase.model);
    receiver = await startCallbackReceiver(TOKEN);
    worker = spawnNodeScript(
      BIN,
      workerArgs("w-main", ["--slots", "2", "--callback-url", receiver.url, "--heartbeat-ms", "150", "--node-name", "test-node"]),
    );
    standalone = spawnNodeScript(BIN, workerArgs("w-alone"));
    const [main, alone] = await Promise.all([worker.waitForLine(LISTENING), standalone.waitForLine(LISTENING)]);
    workerUrl = main[1] ?? "";
    standaloneUrl = alone[1] ?? "";
    await receiver.waitFor((c) => c.kind === "register");
  });

  afterAll(async () => {
    await Promise.all([worker?.stop(), standalone?.stop()]);
    await receiver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("registers with the callback once loaded, with its bearer token", async () => {
    const register = await receiver.waitFor((c) => c.kind === "register");
    expect(register.authorized).toBe(true);
    expect(register.invalid).toBeUndefined();
    expect(register.body).toMatchObject({
      worker_id: "w-main",
      url: workerUrl,
      model_ref: "tiny-test",
      backend: "cpu",
      device: 0,
      slots_total: 2,
      slots_available: 2,
      node_name: "test-node",
      engine,
    });
    const ready = WorkerReadyResponse.parse(await (await call(workerUrl, "/v1/ready")).json());
    expect(ready).toEqual({ ready: true, state: "idle", slots_total: 2, slots_available: 2, model_ref: "tiny-test", threads: 1 });
    const health = await call(workerUrl, "/health", { token: null });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", state: "idle" });
  });

  it("without --threads a cpu worker picks its threads: never above the physical math cores, one left free", async () => {
    const args = workerArgs("w-threads").filter((arg, i, all) => arg !== "--threads" && all[i - 1] !== "--threads");
    const chooser = spawnNodeScript(BIN, args);
    try {
      const [, url = ""] = await chooser.waitForLine(LISTENING);
      const [, chosen = "", cores = ""] = await chooser.waitForLine(/threads: (\d+) \(chosen: (\d+) math cores\)/, { stream: "stderr" });
      expect(Number(cores)).toBeLessThanOrEqual(availableParallelism());
      expect(Number(chosen)).toBe(Math.max(1, Number(cores) - 1));
      await chooser.waitForLine(/loaded tiny-test on cpu/, { stream: "stderr" });
      const ready = WorkerReadyResponse.parse(await (await call(url, "/v1/ready")).json());
      expect(ready).toMatchObject({ ready: true, threads: Number(chosen) });
    } finally {
      await chooser.stop();
    }
  });

  it("sends heartbeats, and registers again when a heartbeat gets 404", async () => {
    const heartbeat = await receiver.waitFor((c) => c.kind === "heartbeat");
    expect(heartbeat.authorized).toBe(true);
    expect(heartbeat.invalid).toBeUndefined();
    expect(heartbeat.body).toMatchObject({ worker_id: "w-main" });

    const seen = receiver.calls.length;
    receiver.failNext("heartbeat", 404);
    await callbackAfter(seen, (c) => c.kind === "heartbeat" && c.status === 404);
    const again = await callbackAfter(seen, (c) => c.kind === "register" && c.status === 201);
    expect(again.body).toMatchObject({ worker_id: "w-main", url: workerUrl });
  });

  it("streams one token event per token, then end with max_tokens and [DONE]", async () => {
    const response = await infer({ job_id: "job-basic", prompt: "Hello there", max_tokens: 16, seed: 7 });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const { events, done } = await readStreamEvents(response);
    expect(done).toBe(true);
    expect(events[0]).toEqual({ type: "started", job_id: "job-basic", worker_id: "w-main", node_name: "test-node", model_ref: "tiny-test" });
    const tokens = events.filter((event) => event.type === "token");
    expect(tokens.map((event) => event.i)).toEqual([...Array(16).keys()]);
    const end = endOf(events);
    expect(end).toMatchObject({ tokens_out: 16, stop_reason: "max_tokens" });
    expect(end.ttft_ms).toBeLessThanOrEqual(end.decode_ms);
    expect(events).toHaveLength(18);
  });

  it("gives the same text for the same seed, another for another seed", async () => {
    const run = async (seed: number): Promise<string> => {
      const { events } = await readStreamEvents(await infer({ prompt: "Once upon a time", max_tokens: 48, temperature: 1, seed }));
      expect(endOf(events).stop_reason).toBe("max_tokens");
      return streamText(events);
    };
    const first = await run(1234);
    expect(first.length).toBeGreaterThan(0);
    expect(await run(1234)).toBe(first);
    expect(await run(4321)).not.toBe(first);
  });

  it("cancels a job on DELETE /v1/inference/:job_id: it ends as cancelled, its job gone", async () => {
    let deleteStatus = 0;
    const response = await infer({ job_id: "job-cancel", prompt: "Tell me everything", max_tokens: ENDLESS, seed: 1 });
    const { events, done } = await readStreamEvents(response, async (event) => {
      if (event.type === "token" && event.i === 2) {
        deleteStatus = (await call(workerUrl, "/v1/inference/job-cancel", { method: "DELETE" })).status;
      }
    });
    expect(deleteStatus).toBe(204);
    expect(done).toBe(true);
    const end = endOf(events);
    // No clock: the end says the cancel stopped it (not max_tokens), and every token it counts was
    // streamed. That it stops at the very next token is runGeneration's test (generation.test.ts).
    expect(end.stop_reason).toBe("cancelled");
    expect(end.tokens_out).toBeLessThan(ENDLESS);
    expect(events.filter((event) => event.type === "token")).toHaveLength(end.tokens_out);
    const again = await call(workerUrl, "/v1/inference/job-cancel", { method: "DELETE" });
    expect(again.status).toBe(404);
    expect((await errorOf(again)).code).toBe("JOB_NOT_FOUND");
  });

  it("cancels the job and frees its slot when the client goes away", async () => {
    const seen = receiver.calls.length;
    const client = new AbortController();
    const response = await infer({ prompt: "A long story", max_tokens: ENDLESS }, { signal: client.signal });
    const reading = readStreamEvents(response, (event) => {
      if (event.type === "token" && event.i === 3) client.abort();
    });
    await expect(reading).rejects.toThrow();
    const busy = await callbackAfter(seen, (c) => c.kind === "update" && (c.body as { state?: string }).state === "busy");
    expect(busy.authorized).toBe(true);
    await callbackAfter(receiver.calls.indexOf(busy) + 1, (c) => c.kind === "update" && (c.body as { slots_available?: number }).slots_available === 2);
    const ready = WorkerReadyResponse.parse(await (await call(workerUrl, "/v1/ready")).json());
    expect(ready).toMatchObject({ state: "idle", slots_available: 2 });
  });

  it("with --slots 2 runs two requests at once, each with its own text", async () => {
    const a = { prompt: "The first prompt", max_tokens: 200, temperature: 0.8, seed: 11 };
    const b = { prompt: "Another, different prompt", max_tokens: 200, temperature: 0.8, seed: 22 };
    const alone = async (body: object): Promise<string> => streamText((await readStreamEvents(await infer(body))).events);
    const soloA = await alone(a);
    const soloB = await alone(b);
    expect(soloA).not.toBe(soloB);
    const [together1, together2] = await Promise.all([infer(a), infer(b)]);
    const [streamA, streamB] = await Promise.all([readStreamEvents(together1!), readStreamEvents(together2!)]);
    expect(endOf(streamA.events).stop_reason).toBe("max_tokens");
    expect(endOf(streamB.events).stop_reason).toBe("max_tokens");
    const [textA, textB] = [streamText(streamA.events), streamText(streamB.events)];
    if (testCase.engine === "node-llama-cpp") {
      expect(textA).toBe(soloA);
      expect(textB).toBe(soloB);
    } else {
      // llama-server decodes the two sequences in one batch, whose float sums are not bit-equal to a
      // batch of one: a sampled token can flip after a while. Each stream still follows its own prompt.
      expect(textA).not.toBe(textB);
      expect(textA.slice(0, 8)).toBe(soloA.slice(0, 8));
      expect(textB.slice(0, 8)).toBe(soloB.slice(0, 8));
    }
  });

  it("answers 503 NO_CAPACITY when every slot is busy", async () => {
    const first = eventSignal((event) => event.type === "token");
    const second = eventSignal((event) => event.type === "token");
    const streams = [
      readStreamEvents(await infer({ job_id: "busy-1", prompt: "one", max_tokens: ENDLESS }), first.onEvent),
      readStreamEvents(await infer({ job_id: "busy-2", prompt: "two", max_tokens: ENDLESS }), second.onEvent),
    ];
    await Promise.all([first.seen, second.seen]);
    const third = await infer({ prompt: "three", max_tokens: 4 });
    expect(third.status).toBe(503);
    expect((await errorOf(third)).code).toBe("NO_CAPACITY");
    const ready = WorkerReadyResponse.parse(await (await call(workerUrl, "/v1/ready")).json());
    expect(ready).toMatchObject({ state: "busy", slots_available: 0 });

    expect((await call(workerUrl, "/v1/inference/busy-1", { method: "DELETE" })).status).toBe(204);
    expect((await call(workerUrl, "/v1/inference/busy-2", { method: "DELETE" })).status).toBe(204);
    for (const { events, done } of await Promise.all(streams)) {
      expect(done).toBe(true);
      expect(endOf(events).stop_reason).toBe("cancelled");
    }
  });

  it("takes a conversation as messages, rendered with the model's chat template, and streams as for a prompt", async () => {
    const oneTurn = [{ role: "user", content: "Hello there" }];
    const twoTurns = [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Hello there" },
      { role: "assistant", content: "Hi." },
      { role: "user", content: "Hello there" },
    ];
    const run = async (messages: unknown): Promise<{ text: string; tokens: number }> => {
      const response = await infer({ messages, max_tokens: 24, temperature: 1, seed: 99 });
      expect(response.status).toBe(200);
      const { events, done } = await readStreamEvents(response);
      expect(done).toBe(true);
      expect(events[0]).toMatchObject({ type: "started", worker_id: "w-main" });
      const end = endOf(events);
      expect(["max_tokens", "eos"]).toContain(end.stop_reason);
      const tokens = events.filter((event) => event.type === "token");
      expect(tokens.map((event) => event.i)).toEqual([...Array(end.tokens_out).keys()]);
      return { text: streamText(events), tokens: end.tokens_out };
    };
    const one = await run(oneTurn);
    expect(one.tokens).toBeGreaterThan(0);
    expect(await run(oneTurn)).toEqual(one);
    const two = await run(twoTurns);
    expect(two.text).not.toBe(one.text);
    // A raw prompt is still a raw completion: the same words without the template give other text.
    const raw = streamText((await readStreamEvents(await infer({ prompt: "Hello there", max_tokens: 24, temperature: 1, seed: 99 }))).events);
    expect(raw).not.toBe(one.text);
  });

  it("refuses both prompt and messages, or a message with an unknown role, with 400 and field details", async () => {
    const both = await infer({ prompt: "x", messages: [{ role: "user", content: "x" }] });
    expect(both.status).toBe(400);
    expect((await errorOf(both)).details?.map((detail) => detail.field)).toContain("prompt");
    const badRole = await infer({ messages: [{ role: "tool", content: "x" }] });
    expect(badRole.status).toBe(400);
    expect((await errorOf(badRole)).details?.map((detail) => detail.field)).toContain("messages.0.role");
    const empty = await infer({ messages: [] });
    expect(empty.status).toBe(400);
  });

  it("answers 401 UNAUTHORIZED without the right bearer token", async () => {
    for (const token of [null, "wrong-token-0123456789"]) {
      for (const [path, method] of [
        ["/v1/ready", "GET"],
        ["/v1/inference", "POST"],
        ["/v1/inference/x", "DELETE"],
        ["/v1/admin/shutdown", "POST"],
      ] as const) {
        const response = await call(workerUrl, path, { method, token });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect((await errorOf(response)).code).toBe("UNAUTHORIZED");
      }
    }
  });

  it("answers 400 INVALID_REQUEST with field details, and 413 over 1 MiB", async () => {
    const bad = await infer({ prompt: 5, max_tokens: 0, temperature: "hot", surprise: true });
    expect(bad.status).toBe(400);
    const error = await errorOf(bad);
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.details?.map((detail) => detail.field)).toEqual(expect.arrayContaining(["prompt", "max_tokens", "temperature"]));

    const notJson = await call(workerUrl, "/v1/inference", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(notJson.status).toBe(400);
    expect((await errorOf(notJson)).code).toBe("INVALID_REQUEST");

    const huge = await infer({ prompt: "x".repeat(1024 * 1024 + 1) });
    expect(huge.status).toBe(413);
    expect((await errorOf(huge)).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it.skipIf(cudaPresent)(titleWithoutGpu("refuses --backend cuda on a machine without CUDA: exit 1 naming cuda, never a cpu worker", cudaPresent), async () => {
    const seen = receiver.calls.length;
    const cuda = spawnNodeScript(BIN, workerArgs("w-cuda", ["--backend", "cuda", "--callback-url", receiver.url]));
    const exit = await cuda.waitForExit();
    expect(exit.code).toBe(1);
    expect(cuda.stderr()).toMatch(/backend cuda is not available/i);
    expect(cuda.stderr()).not.toMatch(/loaded/);
    expect(receiver.calls.slice(seen).some((c) => (c.body as { worker_id?: string }).worker_id === "w-cuda")).toBe(false);
  });

  it("rejects bad flags with one clear line and exit 1", async () => {
    const cases: Array<[string[], RegExp]> = [
      [workerArgs("w-bad", ["--host", "0.0.0.0"]), /--host must be a loopback address/],
      [workerArgs("w-bad", ["--slots", "many"]), /--slots must be a whole number/],
      [["--model", "/x.gguf", "--token", TOKEN], /--worker-id is required/],
      [workerArgs("w-bad", ["--bogus"]), /bogus/],
    ];
    await Promise.all(
      cases.map(async ([args, message]) => {
        const bad = spawnNodeScript(BIN, args);
        expect((await bad.waitForExit()).code).toBe(1);
        expect(bad.stdout()).toBe("");
        const lines = bad.stderr().trimEnd().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(message);
      }),
    );
  });

  it("runs standalone without a callback and stops on POST /v1/admin/shutdown with exit 0", async () => {
    const ready = await call(standaloneUrl, "/v1/ready");
    expect(WorkerReadyResponse.parse(await ready.json())).toMatchObject({ slots_total: 1 });
    const { events } = await readStreamEvents(await infer({ prompt: "hi", max_tokens: 3 }, { base: standaloneUrl }));
    expect(endOf(events)).toMatchObject({ tokens_out: 3, stop_reason: "max_tokens" });
    expect(events[0]).toMatchObject({ type: "started", worker_id: "w-alone", node_name: "" });
    const shutdown = await call(standaloneUrl, "/v1/admin/shutdown", { method: "POST" });
    expect(shutdown.status).toBe(202);
    expect((await standalone.waitForExit()).code).toBe(0);
  });

  // Last: it stops the shared worker.
  it("on SIGTERM ends running streams with cancelled and exits 0", async () => {
    const started = eventSignal((event) => event.type === "token");
    const stream = readStreamEvents(await infer({ prompt: "until stopped", max_tokens: ENDLESS }), started.onEvent);
    await started.seen;
    worker.child.kill("SIGTERM");
    const { events, done } = await stream;
    expect(done).toBe(true);
    expect(endOf(events).stop_reason).toBe("cancelled");
    expect((await worker.waitForExit()).code).toBe(0);
  });
});
