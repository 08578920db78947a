// The preload bridge (src/preload/index.ts) against the real main-side IPC handlers, in one process,
// under a test double of Electron (the binary cannot run here, test/helpers/electron-double.ts):
// the renderer's client (createIpcApi over the exposed `window.rbee`) → the context bridge → the
// preload's ipcRenderer → registerIpc's handlers with the product's trust check → a real queen's
// service, and back. Both sides must agree on channels, stream ids, errors and ordering.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  API_METHOD_NAMES,
  IPC_EVENT_CHANNEL,
  IPC_STREAM_CANCEL_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  IpcStreamId,
  RbeeError,
  STREAM_METHOD_NAMES,
  FOLLOW_METHOD_NAMES,
  followMethodName,
  ipcChannel,
  ipcStreamChannel,
  ipcStreamEventChannel,
  type QueenEvent,
  type RbeeApi,
} from "../../src/shared/contract/index.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { createIpcApi, createIpcTransport, type RbeeBridge } from "../../src/renderer/api/ipc-transport.js";
import type { RendererStep as Step } from "../helpers/electron-double.js";
import { until } from "../helpers/until.js";

vi.mock("electron", async () => (await import("../helpers/electron-double.js")).electronDouble);
const { FakeBrowserWindow, runPreloadIn } = await import("../helpers/electron-double.js");
const { registerIpc } = await import("../../src/main/ipc.js");
const { trustedSender } = await import("../../src/main/desktop.js");

const NODE = {
  node_name: "gpu",
  ssh_host: "127.0.0.1",
  ssh_port: 1,
  ssh_user: "rbee",
  git_repo_url: "https://example.invalid/rbee.git",
  install_path: "~/rbee",
};

let home: string;
let server: QueenServer;
let window: InstanceType<typeof FakeBrowserWindow>;
let unregister: () => void;
let bridge: RbeeBridge;
let api: RbeeApi;
// A TCP port that accepts and then says nothing: an SSH handshake there hangs until cancelled or timed out.
let silent: Server;
const held: Socket[] = [];
const logs: string[] = [];

const renderer = () => window.webContents.renderer;
const stepsSince = (mark: number): Step[] => renderer().steps.slice(mark);

/** The stream a window started since `mark`: its id, its start call and what its channel carried. */
function streamSince(mark: number, method: (typeof STREAM_METHOD_NAMES)[number]) {
  const steps = stepsSince(mark);
  const start = steps.findIndex((step) => step.kind === "invoke" && step.channel === ipcStreamChannel(method));
  expect(start, `no ${method} call`).toBeGreaterThanOrEqual(0);
  const id = (steps[start] as Extract<Step, { kind: "invoke" }>).args[0] as string;
  const channel = ipcStreamEventChannel(id);
  const index = (predicate: (step: Step) => boolean): number => steps.findIndex(predicate);
  return {
    id,
    channel,
    started: start,
    listening: index((step) => step.kind === "on" && step.channel === channel),
    answered: index((step) => step.kind === "answered" && step.channel === ipcStreamChannel(method)),
    firstReceived: index((step) => step.kind === "received" && step.channel === channel),
    received: steps.filter((step) => step.kind === "received" && step.channel === channel).map((step) => (step as Extract<Step, { kind: "received" }>).args[0]),
  };
}

const rejectionOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error("expected a rejection"), (error: unknown) => error);

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-preload-"));
  const outDir = join(home, "out");
  silent = createServer((socket) => void held.push(socket));
  await new Promise<void>((listening) => silent.listen(0, "127.0.0.1", listening));
  server = await startQueenServer({
    home,
    host: "127.0.0.1",
    port: 0,
    userKnownHosts: [],
    // An agent path, so that connecting gets as far as the network (there is no agent behind it).
    sshAgent: join(home, "no-agent.sock"),
    sshTimeoutMs: 1_500,
    log: (message) => void logs.push(message),
  });
  window = new FakeBrowserWindow();
  await window.loadFile(join(outDir, "renderer", "index.html"));
  unregister = registerIpc(server.service, trustedSender(() => window as never, outDir), (message) => void logs.push(message));
  // The preload runs in our window's renderer, as Electron runs it before the page.
  runPreloadIn(window.webContents);
  await import("../../src/preload/index.js");
  bridge = window.webContents.renderer.mainWorld.rbee as RbeeBridge;
  api = createIpcApi(bridge);
});
// Each test starts from an empty registry, whatever the one before it left.
afterEach(async () => {
  for (const node of server.queen.beehives.list()) await server.service.removeNode({ node_name: node.node_name });
});
afterAll(async () => {
  unregister?.();
  window?.destroy();
  await server?.close();
  for (const socket of held) socket.destroy();
  await new Promise((closed) => silent?.close(closed));
  rmSync(home, { recursive: true, force: true });
});

describe("the preload bridge, end to end", () => {
  it("exposes only window.rbee: one function per row of the table and onEvent, no raw ipcRenderer", () => {
    expect(Object.keys(renderer().mainWorld)).toEqual(["rbee"]);
    expect(Object.keys(bridge).sort()).toEqual([...API_METHOD_NAMES, ...STREAM_METHOD_NAMES, ...FOLLOW_METHOD_NAMES.map(followMethodName), "onEvent"].sort());
    for (const [name, value] of Object.entries(bridge)) expect(typeof value, name).toBe("function");
  });

  it("a call round-trips: addNode with verify:false, listNodes, removeNode, answers validated by the client", async () => {
    const mark = renderer().steps.length;
    const added = await api.addNode({ ...NODE, verify: false });
    expect(added).toEqual({
      node: { ...NODE, ssh_key_path: null, git_branch: "main", last_connected_unix: null, status: "unknown", transport: "ssh" },
      host_key_fingerprint: null,
    });
    // What crossed: the client's validated input (defaults applied) on the row's own channel.
    expect(stepsSince(mark)[0]).toEqual({ kind: "invoke", channel: ipcChannel("addNode"), args: [{ ...NODE, git_branch: "main", verify: false }] });
    expect(await api.listNodes({})).toEqual({ nodes: [added.node] });
    expect(await api.removeNode({ node_name: "gpu" })).toEqual({ removed: true });
    expect(await api.listNodes({})).toEqual({ nodes: [] });
    expect(server.queen.beehives.list()).toEqual([]);
  });

  it("a refusal rejects with an RbeeError carrying its code and details, from either side", async () => {
    const missing = await rejectionOf(api.removeNode({ node_name: "ghost" }));
    expect(missing).toBeInstanceOf(RbeeError);
    const ghost = 'No node named "ghost": this queen has no nodes yet; add one with `rbee-keeper setup add-node`';
    expect(missing).toMatchObject({ code: "NODE_NOT_FOUND", message: ghost });

    // Past the client's own check, the main side validates too, and its details come back.
    const invalid = await rejectionOf(createIpcTransport(bridge).call("addNode", { ...NODE, node_name: "Bad Name", verify: false }));
    expect(invalid).toBeInstanceOf(RbeeError);
    expect(invalid).toMatchObject({ code: "INVALID_REQUEST", details: [{ field: "node_name", message: expect.stringMatching(/lowercase/) }] });

    // Across the context bridge it is a plain object: an Error would have lost its code there.
    const raw = await rejectionOf(bridge.removeNode!({ node_name: "ghost" }) as Promise<unknown>);
    expect(raw).not.toBeInstanceOf(Error);
    expect(raw).toEqual({ code: "NODE_NOT_FOUND", message: ghost });

    // The client refuses bad input itself: nothing is sent.
    const mark = renderer().steps.length;
    expect(await rejectionOf(api.addNode({ ...NODE, node_name: "Bad Name" }))).toMatchObject({ code: "INVALID_REQUEST", details: [{ field: "node_name" }] });
    expect(stepsSince(mark)).toEqual([]);
  });

  it("a refused stream (installNode of an unknown node) rejects done, sends no event, and lets go of its channel", async () => {
    const mark = renderer().steps.length;
    const events: unknown[] = [];
    const handle = api.installNode({ node_name: "ghost" }, (event) => events.push(event));
    const refused = await rejectionOf(handle.done);
    expect(refused).toBeInstanceOf(RbeeError);
    expect(refused).toMatchObject({ code: "NODE_NOT_FOUND" });
    const stream = streamSince(mark, "installNode");
    expect(stream.listening, "the stream's listener is registered before the call").toBeGreaterThanOrEqual(0);
    expect(stream.listening, "the stream's listener is registered before the call").toBeLessThan(stream.started);
    expect(stream.received).toEqual([]);
    expect(events).toEqual([]);
    expect(renderer().listenerCount(stream.channel)).toBe(0);
  });

  it("spawnWorker to an unreachable node streams progress then an error event on its own channel, then ends", async () => {
    await api.addNode({ ...NODE, verify: false });
    const mark = renderer().steps.length;
    const events: { type: string }[] = [];
    const handle = api.spawnWorker({ node_name: "gpu", model_ref: "tinyllama" }, (event) => events.push(event));
    await handle.done;
    expect(events[0]).toEqual({ type: "progress", stage: "ssh", message: "Connecting to rbee@127.0.0.1:1" });
    expect(events.at(-1)).toEqual({ type: "error", code: "SSH_FAILED", message: expect.stringMatching(/connection refused/) });

    const stream = streamSince(mark, "spawnWorker");
    expect(IpcStreamId.safeParse(stream.id).success, stream.id).toBe(true);
    // Every message came on the stream's own channel: its events, then one end.
    expect(stream.received).toEqual([...events.map((event) => ({ kind: "event", event })), { kind: "end" }]);
    // The listener was there before the call, and it had to be: the first event came before the call's answer.
    expect(stream.listening, "the stream's listener is registered before the call").toBeGreaterThanOrEqual(0);
    expect(stream.listening, "the stream's listener is registered before the call").toBeLessThan(stream.started);
    expect(stream.firstReceived, "the first event arrives before the call's answer").toBeLessThan(stream.answered);
    expect(renderer().listenerCount(stream.channel)).toBe(0);
  });

  it("cancel reaches the main side (rbee:stream-cancel with the stream's id) and the stream ends without its error", async () => {
    const port = (silent.address() as { port: number }).port;
    await api.addNode({ ...NODE, node_name: "slow", ssh_port: port, verify: false });
    const mark = renderer().steps.length;
    const events: { type: string }[] = [];
    const handle = api.spawnWorker({ node_name: "slow", model_ref: "tinyllama" }, (event) => events.push(event));
    // Connecting: the TCP connection is open and the handshake waits.
    await until(() => events.length === 1 && held.length === 1, "the spawn to be connecting");
    handle.cancel();
    await handle.done;
    // A cancelled spawn ends quietly; left alone it would have ended with a timeout error.
    expect(events).toEqual([{ type: "progress", stage: "ssh", message: `Connecting to rbee@127.0.0.1:${port}` }]);
    const stream = streamSince(mark, "spawnWorker");
    const steps = stepsSince(mark);
    expect(steps).toContainEqual({ kind: "invoke", channel: IPC_STREAM_CANCEL_CHANNEL, args: [stream.id] });
    expect(steps).toContainEqual({ kind: "answered", channel: IPC_STREAM_CANCEL_CHANNEL, value: { ok: true, value: null } });
    expect(stream.received.at(-1)).toEqual({ kind: "end" });
    expect(renderer().listenerCount(stream.channel)).toBe(0);
  });

  it("every stream gets its own valid id", () => {
    const ids = renderer()
      .steps.filter((step): step is Extract<Step, { kind: "invoke" }> => step.kind === "invoke" && step.channel.startsWith("rbee:stream:"))
      .map((step) => step.args[0] as string);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    for (const id of ids) expect(IpcStreamId.safeParse(id).success, id).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a stream without a listener is refused before anything is sent", async () => {
    const mark = renderer().steps.length;
    expect(() => bridge.installNode!({ node_name: "gpu" })).toThrow(expect.objectContaining({ code: "INVALID_REQUEST" }));
    const handle = createIpcTransport(bridge).stream("installNode", { node_name: "gpu" }, undefined as never);
    expect(await rejectionOf(handle.done)).toMatchObject({ code: "INVALID_REQUEST", message: "installNode needs an event listener" });
    expect(stepsSince(mark)).toEqual([]);
  });

  it("onEvent: the listener first, then subscribe; the snapshots at once, then a delta per changed node", async () => {
    const mark = renderer().steps.length;
    const events: QueenEvent[] = [];
    const unsubscribe = api.onEvent((event) => events.push(event));
    // The snapshots are sent before subscribe answers, so they have arrived once it has.
    await until(() => stepsSince(mark).some((step) => step.kind === "answered" && step.channel === IPC_SUBSCRIBE_CHANNEL), "subscribe to answer");
    expect(events).toEqual([
      { type: "nodes", nodes: [] },
      { type: "workers", workers: [] },
      { type: "downloads", downloads: [] },
      { type: "worker_stats", stats: [] },
      { type: "devices", nodes: [] },
      { type: "exits", exits: [] },
    ]);
    const steps = stepsSince(mark);
    const listening = steps.findIndex((step) => step.kind === "on" && step.channel === IPC_EVENT_CHANNEL);
    const subscribed = steps.findIndex((step) => step.kind === "invoke" && step.channel === IPC_SUBSCRIBE_CHANNEL);
    expect(listening, "the event listener is registered before subscribing").toBeGreaterThanOrEqual(0);
    expect(listening, "the event listener is registered before subscribing").toBeLessThan(subscribed);

    await api.addNode({ ...NODE, node_name: "mac", verify: false });
    await until(() => events.some((event) => event.type === "node" && event.op === "upsert" && event.node.node_name === "mac"), "a node delta adding mac");
    expect(events.filter((event) => event.type === "nodes")).toHaveLength(1);
    unsubscribe();
    expect(renderer().listenerCount(IPC_EVENT_CHANNEL)).toBe(0);
  });

  it("the same bridge in our window showing another page is refused: the trust check is the product's", async () => {
    const own = window.webContents.getURL();
    await window.webContents.loadURL("https://evil.example/");
    try {
      expect(await rejectionOf(api.listNodes({}))).toMatchObject({ code: "UNAUTHORIZED" });
      expect(logs).toContain("IPC listNodes refused: untrusted sender https://evil.example/");
    } finally {
      await window.webContents.loadURL(own);
    }
    expect(await api.listNodes({})).toEqual({ nodes: [] });
  });
});

describe("the preload's header claims", () => {
  /** The runtime imports of a file and of the project files it imports, by specifier. */
  function runtimeImports(entry: string): { files: string[]; packages: Set<string> } {
    const files: string[] = [];
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (files.includes(file)) return;
      files.push(file);
      const source = readFileSync(file, "utf8");
      // `import type` and `export type` are erased; everything else is loaded at run time.
      for (const match of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)) {
        const specifier = match[1]!;
        if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
        else packages.add(specifier);
      }
    };
    visit(resolve(entry));
    return { files, packages };
  }

  it("loads only electron, and the contract with zod bundled in: no node:* module, no other package", () => {
    const { files, packages } = runtimeImports("src/preload/index.ts");
    expect([...packages].sort()).toEqual(["electron", "zod"]);
    for (const file of files) expect(file, "the preload reaches only src/shared").toMatch(/src[/\\](preload|shared)[/\\]/);
    // zod is bundled into the preload (a sandboxed preload cannot require packages).
    expect(readFileSync("electron.vite.config.ts", "utf8")).toMatch(/preload:[\s\S]*externalizeDeps: \{ exclude: \["zod"\] \}/);
  });

  it.skipIf(!existsSync("out/preload/index.cjs"))("its bundle (npm run build:app) requires electron and nothing else", () => {
    const bundle = readFileSync("out/preload/index.cjs", "utf8");
    const required = new Set([...bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]));
    expect([...required]).toEqual(["electron"]);
  });
});
