// Walks every row of the API table over both transports, the HTTP API and the IPC handlers (with a
// stand-in for Electron's ipcMain: the Electron binary cannot run here), against one real core: a
// real SQLite file, a real OpenSSH server on loopback, a real install from a git repository of this
// project, a real hive and a real worker on a generated model. Every answer and every streamed
// event is checked against its row's schema and against the OpenAPI document the queen serves.
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import {
  API,
  IPC_EVENT_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  NoContent,
  fillPath,
  ipcChannel,
  ipcStreamChannel,
  IPC_STREAM_CANCEL_CHANNEL,
  followMethodName,
  splitInput,
  type ApiEntry,
  type CallName,
  type FollowName,
  type IpcOutcome,
  type IpcStreamMessage,
  type MethodName,
  type StreamName,
} from "../../src/shared/contract/index.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { startModelFileServer, type ModelFileServer } from "../helpers/model-file-server.js";
import { makeProjectRepo } from "../helpers/project-repo.js";
import { readSseJson } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { buildTinyGguf, writeTinyGguf } from "../helpers/tiny-gguf.js";

vi.mock("electron", async () => (await import("../helpers/fake-ipc-main.js")).electronStub);
const { ipcHandlers: handlers } = await import("../helpers/fake-ipc-main.js");
const { registerIpc } = await import("../../src/main/ipc.js");

/** A window's webContents as the IPC handlers see it: what it was sent, and lifecycle events. */
class FakeWindow extends EventEmitter {
  readonly id = 1;
  readonly sent: { channel: string; message: unknown }[] = [];
  isDestroyed(): boolean {
    return false;
  }
  send(channel: string, message: unknown): void {
    this.sent.push({ channel, message });
    this.emit("sent", channel, message);
  }
}

/** The outcome of one call, whatever the transport. */
type Outcome = { readonly ok: true; readonly value: unknown; readonly status?: number } | { readonly ok: false; readonly code: string };

/** One transport under test: calls, streams (events until the end) and the first events of the feed. */
interface Transport {
  readonly name: string;
  call(method: CallName, input: unknown): Promise<Outcome>;
  stream(method: StreamName, input: unknown, onEvent?: (event: any) => Promise<void> | void): Promise<unknown[]>;
  firstEvents(count: number): Promise<unknown[]>;
  /** A call row's follow form: its first `count` events, then the client goes away. */
  follow(method: FollowName, input: unknown, count: number): Promise<unknown[]>;
}

let dir: string;
let sshd: Sshd;
let server: QueenServer;
let repoUrl: string;
let modelRef: string;
let files: ModelFileServer;
const walkModel = buildTinyGguf({ seed: 5 });
const window = new FakeWindow();
const checked = new Set<string>();
const ajv = new Ajv2020({ strict: false, allErrors: true });
let unregisterIpc: (() => void) | undefined;
let openapi: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };

/** Checks an event of a call row's follow form against its zod schema and the OpenAPI document's event-stream schema. */
function expectFollowMatches(method: FollowName, value: unknown): void {
  const entry = API[method];
  const zod = entry.follow.safeParse(value);
  expect(zod.success, `${method} follow event ${JSON.stringify(value)?.slice(0, 300)}: ${zod.error?.message}`).toBe(true);
  const content = openapi.paths[entry.path]![entry.verb.toLowerCase()]!.responses["200"]!.content!;
  const validate = ajv.compile(content["text/event-stream"]!.schema);
  expect(validate(value), `${method} follow event vs OpenAPI: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** Checks `value` against the row's zod schema and the OpenAPI document's schema for the same answer. */
function expectMatches(method: MethodName, value: unknown, kind: "answer" | "event"): void {
  const entry: ApiEntry = API[method];
  const schema = kind === "answer" && entry.kind === "call" ? entry.answer : "events" in entry ? entry.events : undefined;
  const zod = schema!.safeParse(value);
  expect(zod.success, `${method} ${kind} ${JSON.stringify(value)?.slice(0, 300)}: ${zod.error?.message}`).toBe(true);
  const operation = openapi.paths[entry.path]![entry.verb.toLowerCase()]!;
  const success = Object.entries(operation.responses).find(([status]) => status.startsWith("2"))!;
  const content = success[1].content;
  if (!content) {
    expect(value).toBeUndefined();
    return;
  }
  const json = Object.values(content)[0]!.schema;
  const validate = ajv.compile(json);
  expect(validate(value), `${method} ${kind} vs OpenAPI: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

const http: Transport = {
  name: "HTTP",
  async call(method, input) {
    const entry = API[method];
    const { params, query, body } = splitInput(entry, input);
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    const response = await fetch(`${server.baseUrl}${fillPath(entry.path, params)}${search ? `?${search}` : ""}`, {
      method: entry.verb,
      headers: { authorization: `Bearer ${server.queen.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) return { ok: false, code: (json as { error: { code: string } }).error.code };
    const expected = entry.answer === NoContent ? 204 : "status" in entry ? entry.status : 200;
    expect(response.status, `${method} status`).toBe(expected);
    return { ok: true, value: json, status: response.status };
  },
  async stream(method, input, onEvent) {
    const { query, body } = splitInput(API[method], input);
    const search = new URLSearchParams(query as Record<string, string>).toString();
    const response = await fetch(`${server.baseUrl}${API[method].path}${search ? `?${search}` : ""}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.queen.token}`, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify(body),
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const { events, done } = await readSseJson(response, onEvent);
    expect(done, `${method} ends with [DONE]`).toBe(true);
    return events;
  },
  async follow(method, input, count) {
    const { query } = splitInput(API[method], { ...(input as object), follow: true });
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    const abort = new AbortController();
    const response = await fetch(`${server.baseUrl}${API[method].path}?${search}`, {
      headers: { authorization: `Bearer ${server.queen.token}`, accept: "text/event-stream" },
      signal: abort.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events: unknown[] = [];
    await readSseJson(response, (event) => {
      events.push(event);
      if (events.length === count) abort.abort();
    }).catch(() => undefined);
    return events;
  },
  async firstEvents(count) {
    const abort = new AbortController();
    const response = await fetch(`${server.baseUrl}${API.events.path}`, {
      headers: { authorization: `Bearer ${server.queen.token}` },
      signal: abort.signal,
    });
    const events: unknown[] = [];
    await readSseJson(response, (event) => {
      events.push(event);
      if (events.length === count) abort.abort();
    }).catch(() => undefined);
    return events;
  },
};

const invoke = (channel: string, ...args: unknown[]): Promise<IpcOutcome> =>
  handlers.get(channel)!({ sender: window, senderFrame: { url: "file:///app/out/renderer/index.html" } }, ...args) as Promise<IpcOutcome>;
let streamCount = 0;

const ipc: Transport = {
  name: "IPC",
  async call(method, input) {
    const outcome = await invoke(ipcChannel(method as never), input);
    return outcome.ok ? { ok: true, value: outcome.value } : { ok: false, code: outcome.error.code };
  },
  stream(method, input, onEvent) {
    const streamId = `walk-stream-${(streamCount += 1)}`;
    const channel = `rbee:stream-event:${streamId}`;
    const events: unknown[] = [];
    return new Promise((resolve, reject) => {
      let chain = Promise.resolve();
      const listener = (sentOn: string, message: IpcStreamMessage): void => {
        if (sentOn !== channel) return;
        if (message.kind === "end") {
          window.off("sent", listener);
          void chain.then(() => resolve(events), reject);
          return;
        }
        events.push(message.event);
        chain = chain.then(() => onEvent?.(message.event));
      };
      window.on("sent", listener);
      void invoke(ipcStreamChannel(method as never), streamId, input).then((outcome) => {
        if (!outcome.ok) reject(new Error(`${method} refused: ${outcome.error.code} ${outcome.error.message}`));
      });
    });
  },
  follow(method, input, count) {
    const streamId = `walk-follow-${(streamCount += 1)}`;
    const channel = `rbee:stream-event:${streamId}`;
    const events: unknown[] = [];
    return new Promise((resolve, reject) => {
      const listener = (sentOn: string, message: IpcStreamMessage): void => {
        if (sentOn !== channel) return;
        if (message.kind === "end") {
          window.off("sent", listener);
          resolve(events);
          return;
        }
        events.push(message.event);
        // Enough: the window cancels it, as the panel does when it closes.
        if (events.length === count) void invoke(IPC_STREAM_CANCEL_CHANNEL, streamId);
      };
      window.on("sent", listener);
      void invoke(ipcStreamChannel(followMethodName(method)), streamId, input).then((outcome) => {
        if (!outcome.ok) reject(new Error(`${method} follow refused: ${outcome.error.code} ${outcome.error.message}`));
      });
    });
  },
  async firstEvents(count) {
    const from = window.sent.length;
    expect((await invoke(IPC_SUBSCRIBE_CHANNEL)).ok).toBe(true);
    return window.sent.slice(from).filter((sent) => sent.channel === IPC_EVENT_CHANNEL).slice(0, count).map((sent) => sent.message);
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-walk-"));
  repoUrl = makeProjectRepo(join(dir, "repo"));
  await writeTinyGguf(join(dir, "tiny.gguf"), { seed: 3 });
  modelRef = `file:${join(dir, "tiny.gguf")}`;
  sshd = await startSshd();
  files = await startModelFileServer({ "walk-http.gguf": walkModel, "walk-ipc.gguf": walkModel });
  server = await startQueenServer({
    home: join(dir, "queen"),
    host: "127.0.0.1",
    port: 0,
    userKnownHosts: [],
    sshAgent: "",
    nodeHome: join(dir, "node-home"),
    workerThreads: 1,
    log: () => {},
  });
  unregisterIpc = registerIpc(server.service, (sender) => sender === (window as unknown), () => {});
  const response = await fetch(`${server.baseUrl}/openapi.json`, { headers: { authorization: `Bearer ${server.queen.token}` } });
  openapi = await response.json();
}, 120_000);

afterAll(async () => {
  unregisterIpc?.();
  await server?.close();
  await sshd?.dispose();
  await files?.stop();
  rmSync(dir, { recursive: true, force: true });
  // Every row of the table was walked over both transports.
  expect([...checked].sort()).toEqual(
    Object.keys(API)
      .flatMap((method) => [`HTTP ${method}`, `IPC ${method}`])
      .sort(),
  );
});

describe.each([http, ipc])("every row of the table over $name", (transport) => {
  const node = () => ({
    node_name: "walk",
    ssh_host: sshd.host,
    ssh_port: sshd.port,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    git_repo_url: repoUrl,
    install_path: join(dir, "node", "rbee"),
  });
  const call = async (method: CallName, input: unknown): Promise<unknown> => {
    const outcome = await transport.call(method, input);
    if (!outcome.ok) throw new Error(`${transport.name} ${method}: ${outcome.code}`);
    expectMatches(method, outcome.value, "answer");
    checked.add(`${transport.name} ${method}`);
    return outcome.value;
  };
  const stream = async (method: StreamName, input: unknown, onEvent?: (event: any) => Promise<void> | void): Promise<any[]> => {
    const events = await transport.stream(method, input, onEvent);
    for (const event of events) expectMatches(method, event, "event");
    checked.add(`${transport.name} ${method}`);
    return events;
  };

  test("health, ssh config, node defaults, the model catalog, the feed", async () => {
    expect(await call("health", {})).toMatchObject({ status: "ok" });
    expect(await call("sshConfigHosts", {})).toHaveProperty("hosts");
    expect(await call("nodeDefaults", {})).toMatchObject({ install_path: "~/rbee", source: expect.stringMatching(/^(origin|package|none)$/) });
    expect(((await call("modelCatalog", {})) as { models: { alias: string }[] }).models.map((model) => model.alias)).toContain("tinyllama");
    const events = await transport.firstEvents(6);
    expect(events.map((event) => (event as { type: string }).type)).toEqual(["nodes", "workers", "downloads", "worker_stats", "devices", "exits"]);
    expect(events[5]).toEqual({ type: "exits", exits: [] });
    for (const event of events) expectMatches("events", event, "event");
    checked.add(`${transport.name} events`);
  });

  test("a node: test, add, list, install, devices", async () => {
    expect(await call("testNode", node())).toMatchObject({ ok: true, host_key_fingerprint: expect.stringMatching(/^SHA256:/) });
    expect(await call("addNode", node())).toMatchObject({ node: { node_name: "walk", status: "reachable" } });
    expect(((await call("listNodes", {})) as { nodes: unknown[] }).nodes).toHaveLength(1);
    const install = await stream("installNode", { node_name: "walk" });
    expect(install.filter((event) => event.type === "error")).toEqual([]);
    expect(((await call("listNodes", {})) as { nodes: { status: string }[] }).nodes[0]!.status).toBe("ready");
    expect(await call("nodeDevices", { node_name: "walk" })).toMatchObject({ backends: expect.arrayContaining(["cpu"]) });
    const preview = (await call("placementPreview", { model: modelRef, ctx: 256, nodes: "walk" })) as { ctx: number; nodes: { node_name: string }[] };
    expect(preview).toMatchObject({ model_ref: modelRef, ctx: 256, slots: 1, nodes: [{ node_name: "walk" }] });
    expect(await transport.call("placementPreview", { model: "two words" })).toEqual({ ok: false, code: "INVALID_REQUEST" });
  }, 180_000);

  test("a worker: spawn, list, infer, cancel a job, stop", async () => {
    const spawned = await stream("spawnWorker", { node_name: "walk", model_ref: modelRef });
    const worker = spawned.at(-1) as { type: string; worker: { id: string } };
    expect(worker.type).toBe("worker");
    expect(((await call("listWorkers", {})) as { workers: { id: string }[] }).workers.map((w) => w.id)).toEqual([worker.worker.id]);

    const answer = await stream("infer", { model: modelRef, prompt: "hello", max_tokens: 8, seed: 1 });
    expect(answer.at(-1)).toMatchObject({ type: "end", tokens_out: 8, stop_reason: "max_tokens" });

    // A long job cancelled through the table's own row: its stream ends with end / cancelled.
    const cancelled = await stream("infer", { model: modelRef, prompt: "hello", max_tokens: 30_000, seed: 1 }, async (event) => {
      if (event.type === "started") expect(await call("cancelInference", { job_id: event.job_id })).toBeUndefined();
    });
    expect(cancelled.at(-1)).toMatchObject({ type: "end", stop_reason: "cancelled" });
    expect(await transport.call("cancelInference", { job_id: "job-gone" })).toEqual({ ok: false, code: "JOB_NOT_FOUND" });

    // The same through the stream's own name, as the renderer cancels.
    const streamId = `walk-${transport.name.toLowerCase()}-cancel`;
    const named = await stream("infer", { model: modelRef, prompt: "hello", max_tokens: 30_000, seed: 1, stream_id: streamId }, async (event) => {
      if (event.type === "started") expect(await call("cancelStream", { stream_id: streamId })).toBeUndefined();
    });
    expect(named.at(-1)).toMatchObject({ type: "end", stop_reason: "cancelled" });
    expect(await transport.call("cancelStream", { stream_id: streamId })).toEqual({ ok: false, code: "STREAM_NOT_FOUND" });

    // Its log, read and followed: the job lines of the inferences above are in it.
    const logs = (await call("logs", { node: "walk", worker: worker.worker.id, lines: 50 })) as { lines: string[] };
    expect(logs.lines.some((line) => / job \S+ max_tokens: /.test(line))).toBe(true);
    const followed = await transport.follow("logs", { node: "walk", worker: worker.worker.id, lines: 2 }, 2);
    expect(followed).toEqual(logs.lines.slice(-2).map((line) => ({ type: "log", line })));
    for (const event of followed) expectFollowMatches("logs", event);
    expect(await transport.call("logs", { node: "walk", worker: "w-nobody" })).toEqual({ ok: false, code: "WORKER_NOT_FOUND" });

    expect(await call("stopWorker", { id: worker.worker.id })).toBeUndefined();
    expect(((await call("listWorkers", {})) as { workers: unknown[] }).workers).toEqual([]);
  }, 120_000);

  test("models: download, list, copy to this computer, cancel, remove", async () => {
    const ref = `${files.url}/walk-${transport.name.toLowerCase()}.gguf`;
    const downloaded = await stream("downloadModel", { node_name: "walk", model_ref: ref });
    expect(downloaded.at(-1)).toMatchObject({ type: "model", node_name: "walk", model: { model_ref: ref, bytes: walkModel.length } });
    const listed = (await call("listModels", {})) as { nodes: { node_name: string; models: { model_ref: string }[] }[] };
    expect(listed.nodes.find((node) => node.node_name === "walk")?.models.map((model) => model.model_ref)).toContain(ref);
    // This computer as a second node: a copy from an SSH node to a local one.
    expect(await call("addNode", { node_name: "here", transport: "local" })).toMatchObject({ node: { node_name: "here" } });
    const copied = await stream("copyModel", { model_ref: ref, from_node: "walk", to_node: "here" });
    expect(copied.at(-1)).toMatchObject({ type: "model", node_name: "here", model: { model_ref: ref } });
    expect(await call("cancelDownload", { node_name: "walk", model_ref: ref })).toEqual({ cancelled: false });
    expect(await call("removeModel", { node_name: "here", model_ref: ref })).toEqual({ removed: true });
    expect(await call("removeModel", { node_name: "walk", model_ref: ref })).toEqual({ removed: true });
    expect(await transport.call("removeModel", { node_name: "walk", model_ref: ref })).toEqual({ ok: false, code: "MODEL_NOT_FOUND" });
    expect(await call("removeNode", { node_name: "here" })).toEqual({ removed: true });
  }, 120_000);

  test("a worker that dies: its exit is kept, then dismissed", async () => {
    const spawned = await stream("spawnWorker", { node_name: "walk", model_ref: modelRef });
    const id = (spawned.at(-1) as { worker: { id: string } }).worker.id;
    const hive = await server.queen.fleet.hives.current("walk");
    const pid = (await hive!.client.listWorkers()).find((listed) => listed.id === id)!.pid;
    process.kill(pid, "SIGKILL");
    let exits: { worker_id: string; signal: string | null }[] = [];
    const deadline = Date.now() + 20_000;
    while (!exits.some((exit) => exit.worker_id === id) && Date.now() < deadline) {
      exits = ((await call("workerExits", {})) as { exits: typeof exits }).exits;
      await new Promise((resolveTick) => setTimeout(resolveTick, 20));
    }
    expect(exits.find((exit) => exit.worker_id === id)).toMatchObject({ signal: "SIGKILL" });
    expect(await call("dismissWorkerExit", { worker_id: id })).toBeUndefined();
    expect(((await call("workerExits", {})) as { exits: unknown[] }).exits).toEqual([]);
    expect(await transport.call("dismissWorkerExit", { worker_id: id })).toEqual({ ok: false, code: "WORKER_NOT_FOUND" });
  }, 120_000);

  test("removing the node", async () => {
    expect(await call("removeNode", { node_name: "walk" })).toEqual({ removed: true });
    expect(await transport.call("removeNode", { node_name: "walk" })).toEqual({ ok: false, code: "NODE_NOT_FOUND" });
  }, 60_000);
});
