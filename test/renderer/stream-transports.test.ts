import { beforeEach, describe, expect, it, vi } from "vitest";
import { API_METHOD_NAMES, STREAM_METHOD_NAMES, type RbeeApi, type StreamHandle } from "../../src/shared/contract/api.js";
import { RbeeError } from "../../src/shared/contract/errors.js";
import type { StreamEvent } from "../../src/shared/contract/streams.js";
import { createHttpApi } from "../../src/renderer/api/http-transport.js";
import { createIpcApi, type RbeeBridge } from "../../src/renderer/api/ipc-transport.js";
import { fakeFetch, json, sseResponse, type Call } from "./fake-fetch.js";

const BASE = "http://127.0.0.1:8080";
const TOKEN = "t0k3n";

const started: StreamEvent = { type: "started", job_id: "job-1", worker_id: "w1", node_name: "gpu", model_ref: "tinyllama" };
const worker = {
  id: "gpu-1",
  url: "http://127.0.0.1:9300",
  model_ref: "tinyllama",
  backend: "cpu",
  device: 0,
  state: "idle",
  slots_total: 1,
  slots_available: 1,
  vram_bytes: null,
  node_name: "gpu",
  last_heartbeat_unix: 1,
} as const;

beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

/** A fake queen whose SSE answers the test writes to; every call is recorded. */
function sseQueen() {
  const streams: (ReturnType<typeof sseResponse> & { call: Call })[] = [];
  const { fetch, calls } = fakeFetch((call) => {
    if (call.method === "DELETE") return new Response(null, { status: 204 });
    const stream = sseResponse(call.signal);
    streams.push({ ...stream, call });
    return stream.response;
  });
  return { api: createHttpApi(BASE, TOKEN, { fetch, cancelGraceMs: 300 }), streams, calls };
}

/** Resolves once `condition` holds, re-checking after each macrotask; fails naming it when it never does. */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn === 10_000) throw new Error(`never held: ${condition.toString()}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("HTTP streams", () => {
  it("infer POSTs the request with defaults and delivers each event as it arrives", async () => {
    const { api, streams } = sseQueen();
    const events: StreamEvent[] = [];
    const handle = api.infer({ model: "tinyllama", messages: [{ role: "user", content: "hi" }] }, (e) => events.push(e));
    await until(() => streams.length === 1);
    const { call, send, raw, close } = streams[0]!;
    expect(call.url).toMatch(new RegExp(`^${BASE}/v1/inference\\?stream_id=[0-9a-f]{32}$`));
    expect(call.headers).toMatchObject({ Authorization: `Bearer ${TOKEN}`, Accept: "text/event-stream" });
    expect(call.body).toEqual({ model: "tinyllama", messages: [{ role: "user", content: "hi" }], max_tokens: 256, temperature: 0.7 });

    send({ type: "progress", stage: "spawn", message: "starting" });
    send(started);
    await until(() => events.length === 2);
    // An event split across chunks is put back together; one outside the contract is skipped.
    raw('data: {"type":"tok');
    raw('en","t":"Hi","i":0}\n\n');
    send({ type: "token", t: 5 });
    send({ type: "end", tokens_out: 1, decode_ms: 5, ttft_ms: 2, stop_reason: "eos" });
    raw("data: [DONE]\n\n");
    close();
    await handle.done;
    expect(events.map((e) => e.type)).toEqual(["progress", "started", "token", "end"]);
  });

  it("cancel asks the queen to cancel the named stream, which then ends with its own end event", async () => {
    const { api, streams, calls } = sseQueen();
    const events: StreamEvent[] = [];
    const handle = api.infer({ model: "m", prompt: "hi" }, (e) => events.push(e));
    await until(() => streams.length === 1);
    const streamId = new URL(streams[0]!.call.url).searchParams.get("stream_id");
    expect(streamId).toMatch(/^[0-9a-f]{32}$/);
    streams[0]!.send(started);
    await until(() => events.length === 1);
    handle.cancel();
    handle.cancel();
    await until(() => calls.some((c) => c.method === "DELETE"));
    // No transport sniffs a job id: the stream's own name is what is cancelled.
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual([`${BASE}/v1/streams/${streamId}`]);
    streams[0]!.send({ type: "end", tokens_out: 3, decode_ms: 9, ttft_ms: 1, stop_reason: "cancelled" });
    streams[0]!.raw("data: [DONE]\n\n");
    streams[0]!.close();
    await handle.done;
    expect(events.at(-1)).toMatchObject({ type: "end", stop_reason: "cancelled" });
  });

  it("a stream that does not end after cancel, or whose cancel is refused, is cut and resolves", async () => {
    const { api, streams } = sseQueen();
    const stuck = api.infer({ model: "m", prompt: "hi" }, () => undefined);
    await until(() => streams.length === 1);
    stuck.cancel();
    await stuck.done;
    expect(streams[0]!.call.signal?.aborted).toBe(true);

    const refusing = fakeFetch((call) => (call.method === "DELETE" ? json(404, { error: { code: "STREAM_NOT_FOUND", message: "gone" } }) : sseResponse(call.signal).response));
    const refused = createHttpApi(BASE, TOKEN, { fetch: refusing.fetch });
    const early = refused.infer({ model: "m", prompt: "hi" }, () => undefined);
    await until(() => refusing.calls.length === 1);
    early.cancel();
    await early.done;
    expect(refusing.calls.map((c) => c.method)).toEqual(["POST", "DELETE"]);
    expect(refusing.calls[0]!.signal?.aborted).toBe(true);
  });

  it("rejects done when the queen refuses the request, when arguments are invalid, or when the link drops", async () => {
    const refusing = createHttpApi(BASE, TOKEN, {
      fetch: fakeFetch(() => json(404, { error: { code: "NODE_NOT_FOUND", message: "No node named gpu" } })).fetch,
    });
    await expect(refusing.infer({ model: "m", prompt: "x", node: "gpu" }, () => undefined).done).rejects.toMatchObject({
      code: "NODE_NOT_FOUND",
    });

    const { api, streams, calls } = sseQueen();
    const invalid = api.infer({ model: "m" } as never, () => undefined);
    await expect(invalid.done).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    await expect(api.installNode({ node_name: "Bad Name" }, () => undefined).done).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    expect(calls).toHaveLength(0);

    const dropped = api.installNode({ node_name: "gpu" }, () => undefined);
    await until(() => streams.length === 1);
    streams[0]!.send({ type: "progress", stage: "install", message: "cloning" });
    streams[0]!.close();
    const error = await dropped.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RbeeError);
    expect(error).toMatchObject({ message: expect.stringMatching(/dropped/) });
  });

  it("installNode and spawnWorker stream their progress; spawn ends with the worker", async () => {
    const { api, streams } = sseQueen();
    const installEvents: unknown[] = [];
    const install = api.installNode({ node_name: "gpu" }, (e) => installEvents.push(e));
    await until(() => streams.length === 1);
    expect(streams[0]!.call).toMatchObject({ url: expect.stringMatching(/\/v2\/registry\/beehives\/install\?stream_id=/), body: { node_name: "gpu" } });
    streams[0]!.send({ type: "progress", stage: "install", message: "cloning the repository" });
    streams[0]!.send({ type: "error", code: "INSTALL_FAILED", message: "no git" });
    streams[0]!.raw("data: [DONE]\n\n");
    await install.done;
    expect(installEvents).toEqual([
      { type: "progress", stage: "install", message: "cloning the repository" },
      { type: "error", code: "INSTALL_FAILED", message: "no git" },
    ]);

    const spawnEvents: unknown[] = [];
    const spawn = api.spawnWorker({ node_name: "gpu", model_ref: "tinyllama" }, (e) => spawnEvents.push(e));
    await until(() => streams.length === 2);
    expect(streams[1]!.call).toMatchObject({
      url: expect.stringMatching(/\/v1\/workers\/spawn\?stream_id=/),
      body: { node_name: "gpu", model_ref: "tinyllama", backend: "cpu", device: 0 },
    });
    streams[1]!.send({ type: "progress", stage: "download", message: "tiny.gguf", bytes: 10, bytes_total: 20 });
    streams[1]!.send({ type: "worker", worker });
    streams[1]!.raw("data: [DONE]\n\n");
    await spawn.done;
    expect(spawnEvents.at(-1)).toEqual({ type: "worker", worker });
  });

  it("sshConfigHosts reads the queen's ssh config hosts", async () => {
    const host = { alias: "gpu", ssh_host: "10.0.0.2", ssh_port: 22, ssh_user: "vince", ssh_key_path: null };
    const { fetch, calls } = fakeFetch(() => json(200, { hosts: [host] }));
    expect(await createHttpApi(BASE, TOKEN, { fetch }).sshConfigHosts({})).toEqual({ hosts: [host] });
    expect(calls[0]?.url).toBe(`${BASE}/v2/registry/ssh-config`);
  });
});

describe("IPC streams", () => {
  function bridgeWith(stream: Partial<Pick<RbeeApi, "infer" | "installNode" | "spawnWorker">>): RbeeBridge {
    const none = (): never => {
      throw new Error("not stubbed");
    };
    const methods = [...API_METHOD_NAMES, ...STREAM_METHOD_NAMES, "onEvent"];
    return { ...Object.fromEntries(methods.map((m) => [m, none])), ...stream } as RbeeBridge;
  }

  it("validates each event and passes cancel through", async () => {
    const cancel = vi.fn();
    let emit!: (event: unknown) => void;
    let finish!: () => void;
    const api = createIpcApi(
      bridgeWith({
        infer: (_request, onEvent): StreamHandle => {
          emit = onEvent as (event: unknown) => void;
          return { cancel, done: new Promise<void>((resolve) => (finish = resolve)) };
        },
      }),
    );
    const events: StreamEvent[] = [];
    const handle = api.infer({ model: "m", prompt: "hi" }, (e) => events.push(e));
    emit({ type: "token", t: "a", i: 0 });
    emit({ type: "token", t: 1 });
    emit({ type: "nonsense" });
    handle.cancel();
    expect(cancel).toHaveBeenCalledOnce();
    finish();
    await handle.done;
    expect(events).toEqual([{ type: "token", t: "a", i: 0 }]);
  });

  it("rebuilds RbeeErrors from what the preload rejects with", async () => {
    const api = createIpcApi(
      bridgeWith({
        spawnWorker: () => ({
          cancel: () => undefined,
          done: Promise.reject({ code: "NODE_NOT_FOUND", message: "No node named gpu" }),
        }),
        installNode: () => {
          throw { code: "INVALID_REQUEST", message: "installNode needs an event listener" };
        },
      }),
    );
    const spawnError = await api.spawnWorker({ node_name: "gpu", model_ref: "m" }, () => undefined).done.catch((e: unknown) => e);
    expect(spawnError).toBeInstanceOf(RbeeError);
    expect(spawnError).toMatchObject({ code: "NODE_NOT_FOUND" });
    await expect(api.installNode({ node_name: "gpu" }, () => undefined).done).rejects.toMatchObject({ code: "INVALID_REQUEST" });
  });
});
