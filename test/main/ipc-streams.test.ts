// The main process's streaming IPC glue, with a stand-in for Electron's ipcMain (the Electron
// binary cannot run on these machines): sender check, validation, per-call channel, and the core's
// one cancel path (src/core/service/core-stream.ts) behind it.
import { EventEmitter } from "node:events";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  IPC_STREAM_CANCEL_CHANNEL,
  ipcStreamChannel,
  ipcStreamEventChannel,
  type IpcOutcome,
  type IpcStreamMessage,
} from "../../src/shared/contract/index.js";

vi.mock("electron", async () => (await import("../helpers/fake-ipc-main.js")).electronStub);
const { ipcHandlers: handlers } = await import("../helpers/fake-ipc-main.js");
const { registerIpc } = await import("../../src/main/ipc.js");
const { inferenceStream, workStream } = await import("../../src/core/service/core-stream.js");

/** A window's webContents: what it was sent, and lifecycle events. */
class FakeSender extends EventEmitter {
  static next = 1;
  readonly id = FakeSender.next++;
  readonly sent: { channel: string; message: IpcStreamMessage }[] = [];
  destroyed = false;
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, message: IpcStreamMessage): void {
    this.sent.push({ channel, message });
  }
}

const TRUSTED_URL = "file:///app/out/renderer/index.html";
const STREAM_ID = "0123456789abcdef";
const invoke = (channel: string, sender: FakeSender, ...args: unknown[]) =>
  handlers.get(channel)!({ sender, senderFrame: { url: sender === untrusted ? "https://evil.example" : TRUSTED_URL } }, ...args);
let untrusted: FakeSender;

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (condition() ? resolve() : void setTimeout(check, 1));
    check();
  });
}

describe("registerIpc: the stream rows", () => {
  let work: { send: (event: object) => void; signal: AbortSignal; finish: () => void; fail: (e: unknown) => void } | null;
  const cancelJob = vi.fn(async (_jobId: string): Promise<void> => undefined);

  beforeEach(() => {
    handlers.clear();
    work = null;
    cancelJob.mockClear();
    untrusted = new FakeSender();
    const run = () => (send: (event: object) => void, signal: AbortSignal) =>
      new Promise<void>((finish, fail) => {
        work = { send, signal, finish, fail };
      });
    const service = {
      installNode: async () => workStream(run(), "install", () => undefined),
      spawnWorker: async () => workStream(run(), "spawn", () => undefined),
      infer: async () => inferenceStream(run() as never, { cancelJob, track: () => () => undefined, graceMs: 1_000 }),
      events: () => () => undefined,
      openStream(method: "installNode" | "spawnWorker" | "infer") {
        return this[method]();
      },
    };
    registerIpc(service as never, (_sender, url) => url === TRUSTED_URL, () => undefined);
  });

  it("runs a stream: validated arguments, events on the call's own channel to its sender only, then end", async () => {
    const sender = new FakeSender();
    const outcome = (await invoke(ipcStreamChannel("installNode"), sender, STREAM_ID, { node_name: "gpu" })) as IpcOutcome;
    expect(outcome).toEqual({ ok: true, value: null });
    await until(() => work !== null);
    work!.send({ type: "progress", stage: "install", message: "cloning" });
    work!.finish();
    await until(() => sender.sent.length === 2);
    expect(sender.sent).toEqual([
      { channel: ipcStreamEventChannel(STREAM_ID), message: { kind: "event", event: { type: "progress", stage: "install", message: "cloning" } } },
      { channel: ipcStreamEventChannel(STREAM_ID), message: { kind: "end" } },
    ]);
  });

  it("refuses untrusted senders, bad stream ids and invalid arguments before anything runs", async () => {
    expect(await invoke(ipcStreamChannel("installNode"), untrusted, STREAM_ID, { node_name: "gpu" })).toMatchObject({
      ok: false,
      error: { code: "UNAUTHORIZED" },
    });
    const sender = new FakeSender();
    expect(await invoke(ipcStreamChannel("installNode"), sender, "../x", { node_name: "gpu" })).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST" } });
    expect(await invoke(ipcStreamChannel("installNode"), sender, STREAM_ID, { node_name: "Bad Name" })).toMatchObject({
      ok: false,
      error: { code: "INVALID_REQUEST", details: [{ field: "node_name" }] },
    });
    expect(await invoke(ipcStreamChannel("infer"), sender, STREAM_ID, { model: "m" })).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST" } });
    expect(work).toBeNull();
    expect(sender.sent).toEqual([]);
  });

  it("a failure once streaming is an error event, as over HTTP", async () => {
    const sender = new FakeSender();
    await invoke(ipcStreamChannel("spawnWorker"), sender, STREAM_ID, { node_name: "gpu", model_ref: "m" });
    await until(() => work !== null);
    work!.fail(new Error("boom"));
    await until(() => sender.sent.length === 2);
    expect(sender.sent.map((s) => s.message)).toEqual([
      { kind: "event", event: { type: "error", code: "INTERNAL", message: "Internal error: see the queen log" } },
      { kind: "end" },
    ]);
  });

  it("cancel cancels the started job on its worker; before a job, it aborts and the stream ends cancelled", async () => {
    const sender = new FakeSender();
    await invoke(ipcStreamChannel("infer"), sender, STREAM_ID, { model: "m", prompt: "hi" });
    await until(() => work !== null);
    work!.send({ type: "started", job_id: "job-7", worker_id: "w", node_name: "n", model_ref: "m" });
    // Another window cannot cancel it.
    await invoke(IPC_STREAM_CANCEL_CHANNEL, new FakeSender(), STREAM_ID);
    expect(cancelJob).not.toHaveBeenCalled();
    await invoke(IPC_STREAM_CANCEL_CHANNEL, sender, STREAM_ID);
    expect(cancelJob).toHaveBeenCalledWith("job-7");
    expect(work!.signal.aborted).toBe(false);
    work!.send({ type: "end", tokens_out: 1, decode_ms: 1, ttft_ms: 1, stop_reason: "cancelled" });
    work!.finish();
    await until(() => sender.sent.at(-1)?.message.kind === "end");

    const cold = new FakeSender();
    work = null;
    await invoke(ipcStreamChannel("infer"), cold, STREAM_ID, { model: "m", prompt: "hi" });
    await until(() => work !== null);
    await invoke(IPC_STREAM_CANCEL_CHANNEL, cold, STREAM_ID);
    expect(work!.signal.aborted).toBe(true);
    work!.finish();
    await until(() => cold.sent.at(-1)?.message.kind === "end");
    expect(cold.sent.map((s) => s.message)).toEqual([
      { kind: "event", event: { type: "end", tokens_out: 0, decode_ms: 0, ttft_ms: 0, stop_reason: "cancelled" } },
      { kind: "end" },
    ]);
  });

  it("stops the work when the window goes away", async () => {
    const sender = new FakeSender();
    await invoke(ipcStreamChannel("infer"), sender, STREAM_ID, { model: "m", prompt: "hi" });
    await until(() => work !== null);
    sender.destroyed = true;
    sender.emit("destroyed");
    expect(work!.signal.aborted).toBe(true);
    work!.finish();
    // Nothing is sent to a destroyed window.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sender.sent).toEqual([]);
  });
});
