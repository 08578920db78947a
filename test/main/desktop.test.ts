// The desktop app's wiring (src/main/desktop.ts, what src/main/index.ts starts) under a test double
// of Electron (the binary cannot run here, test/helpers/electron-double.ts), on a real queen:
// who may call the API over IPC, the port fallback, the event feed pushed to our window, the
// window's lifecycle, and quitting, which closes the queen first.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  API_METHOD_NAMES,
  IPC_EVENT_CHANNEL,
  IPC_STREAM_CANCEL_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  STREAM_METHOD_NAMES,
  FOLLOW_METHOD_NAMES,
  followMethodName,
  ipcChannel,
  ipcStreamChannel,
  type QueenEvent,
} from "../../src/shared/contract/index.js";
import type { QueenServer } from "../../src/core/queen-server.js";
import { until } from "../helpers/until.js";

vi.mock("electron", async () => (await import("../helpers/electron-double.js")).electronDouble);
const { FakeBrowserWindow, FakeTray, electronState, ipcHandlers, resetElectronDouble } = await import("../helpers/electron-double.js");
const { startDesktop, startQueen, trustedSender } = await import("../../src/main/desktop.js");

type Window = InstanceType<typeof FakeBrowserWindow>;
type Desktop = NonNullable<Awaited<ReturnType<typeof startDesktop>>>;
const app = electronState.app;

const NODE = {
  node_name: "gpu",
  ssh_host: "127.0.0.1",
  ssh_port: 1,
  ssh_user: "rbee",
  git_repo_url: "https://example.invalid/rbee.git",
  install_path: "~/rbee",
};

let home: string;
let outDir: string;
const logs: string[] = [];
const log = (message: string): void => void logs.push(message);
const env = (more: Record<string, string> = {}): NodeJS.ProcessEnv => ({ RBEE_HOME: home, RBEE_QUEEN_PORT: "0", RBEE_LOCAL_NODE: "0", ...more });
const ownUrl = (): string => pathToFileURL(join(outDir, "renderer", "index.html")).href;

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

const started: QueenServer[] = [];
beforeEach(() => {
  resetElectronDouble();
  vi.stubEnv("ELECTRON_RENDERER_URL", "");
  home = mkdtempSync(join(tmpdir(), "rbee-desktop-"));
  outDir = join(home, "out");
  logs.length = 0;
});
afterEach(async () => {
  vi.unstubAllEnvs();
  // Windows first: registerIpc lets go of their subscriptions when they go.
  resetElectronDouble();
  await Promise.all(started.splice(0).map((server) => server.close()));
  rmSync(home, { recursive: true, force: true });
});

/** Starts the app as index.ts does, on a fresh home, once the window has loaded. */
async function start(): Promise<Desktop> {
  const desktop = await startDesktop({ outDir, env: env(), log });
  if (!desktop) throw new Error("the app did not start");
  started.push(desktop.queenServer);
  await until(() => (desktop.mainWindow() as unknown as Window).webContents.getURL() !== "", "the window to load");
  return desktop;
}

describe("trustedSender: who may call the API over IPC", () => {
  it("only our main window's webContents, while it shows our own renderer", async () => {
    let main: Window | undefined;
    const trusted = trustedSender(() => main as never, outDir);
    const other = new FakeBrowserWindow();
    await other.loadFile(join(outDir, "renderer", "index.html"));
    // No window yet: nobody.
    expect(trusted(other.webContents as never, ownUrl())).toBe(false);

    main = new FakeBrowserWindow();
    await main.loadFile(join(outDir, "renderer", "index.html"));
    expect(trusted(main.webContents as never, ownUrl())).toBe(true);
    expect(trusted(main.webContents as never, `${ownUrl()}#/workers`)).toBe(true);
    // Another window showing our renderer, or our window showing anything else, is refused.
    expect(trusted(other.webContents as never, ownUrl())).toBe(false);
    expect(trusted(main.webContents as never, "https://evil.example/")).toBe(false);
    expect(trusted(main.webContents as never, "file:///etc/passwd")).toBe(false);
    expect(trusted(main.webContents as never, pathToFileURL(join(outDir, "renderer", "other.html")).href)).toBe(false);
    expect(trusted(main.webContents as never, undefined)).toBe(false);
    expect(trusted({ id: main.webContents.id } as never, ownUrl())).toBe(false);

    // A window that replaced a closed one is trusted; the closed one never again.
    const closed = main;
    closed.destroy();
    expect(trusted(closed.webContents as never, ownUrl())).toBe(false);
    main = new FakeBrowserWindow();
    expect(trusted(main.webContents as never, ownUrl())).toBe(true);
    expect(trusted(closed.webContents as never, ownUrl())).toBe(false);
  });

  it("with the dev server, its origin and nothing else", () => {
    vi.stubEnv("ELECTRON_RENDERER_URL", "http://localhost:5173");
    const main = new FakeBrowserWindow();
    const trusted = trustedSender(() => main as never, outDir);
    expect(trusted(main.webContents as never, "http://localhost:5173/#/nodes")).toBe(true);
    expect(trusted(main.webContents as never, "http://localhost:5174/")).toBe(false);
    expect(trusted(main.webContents as never, ownUrl())).toBe(false);
  });
});

describe("startQueen", () => {
  it("uses RBEE_QUEEN_PORT when it is free", async () => {
    const probe = createServer();
    const port = await listen(probe, 0);
    await new Promise((resolve) => probe.close(resolve));
    const server = await startQueen({ outDir, env: env({ RBEE_QUEEN_PORT: String(port), RBEE_TOKEN: ` ${"secret-token-".repeat(3)} ` }), log });
    started.push(server);
    expect(server.port).toBe(port);
    expect(server.queen.token).toBe("secret-token-".repeat(3));
    expect(logs).toEqual([]);
  });

  it("falls back to a free port when the port is in use (a headless queen holds it)", async () => {
    const blocker = createServer();
    const port = await listen(blocker, 0);
    try {
      const server = await startQueen({ outDir, env: env({ RBEE_QUEEN_PORT: String(port) }), log });
      started.push(server);
      expect(server.port).not.toBe(port);
      expect(server.port).toBeGreaterThan(0);
      expect(logs).toEqual([`port ${port} unavailable (Cannot listen on 127.0.0.1:${port}: the port is in use); using a free port`]);
      const health = await fetch(`${server.baseUrl}/health`);
      expect(await health.json()).toMatchObject({ status: "ok" });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("still refuses a non-loopback host on the fallback", async () => {
    await expect(startQueen({ outDir, env: env({ RBEE_QUEEN_HOST: "0.0.0.0" }), log })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
  });
});

describe("startDesktop", () => {
  it("locks the session down, starts the queen, opens the hardened window, registers every row and installs the tray", async () => {
    const desktop = await start();
    expect(electronState.session.checkPermission(null, "media", "file://")).toBe(false);
    const windows = FakeBrowserWindow.getAllWindows();
    expect(windows).toEqual([desktop.mainWindow()]);
    expect(windows[0]!.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(windows[0]!.webContents.getURL()).toBe(ownUrl());
    expect([...ipcHandlers.keys()].sort()).toEqual(
      [
        ...API_METHOD_NAMES.map((method) => ipcChannel(method)),
        ...STREAM_METHOD_NAMES.map((method) => ipcStreamChannel(method)),
        ...FOLLOW_METHOD_NAMES.map((method) => ipcStreamChannel(followMethodName(method))),
        IPC_SUBSCRIBE_CHANNEL,
        IPC_STREAM_CANCEL_CHANNEL,
      ].sort(),
    );
    expect(FakeTray.live).toEqual([desktop.tray.tray]);
    expect(logs).toContain(`queen-rbee listening on ${desktop.queenServer.baseUrl}`);
  });

  it("answers our window over IPC and refuses any other, with the product's own trust check", async () => {
    const desktop = await start();
    const ours = (desktop.mainWindow() as unknown as Window).webContents;
    expect(await ours.renderer.invoke(ipcChannel("listNodes"), {})).toEqual({ ok: true, value: { nodes: [] } });

    const other = new FakeBrowserWindow();
    await other.loadFile(join(outDir, "renderer", "index.html"));
    expect(await other.webContents.renderer.invoke(ipcChannel("listNodes"), {})).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
    expect(logs).toContain(`IPC listNodes refused: untrusted sender ${ownUrl()}`);

    // Our window, once it shows another page, is not ours any more.
    await ours.loadURL("https://evil.example/");
    expect(await ours.renderer.invoke(ipcChannel("listNodes"), {})).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
  });

  it("pushes the queen's snapshots to our subscribed window at once, then a delta per change", async () => {
    const desktop = await start();
    const ours = (desktop.mainWindow() as unknown as Window).webContents;
    const events: QueenEvent[] = [];
    ours.renderer.on(IPC_EVENT_CHANNEL, (_event: unknown, payload: QueenEvent) => events.push(payload));
    // The snapshots are sent before subscribe answers, so they have arrived once it has.
    expect(await ours.renderer.invoke(IPC_SUBSCRIBE_CHANNEL)).toEqual({ ok: true, value: null });
    expect(events).toEqual([
      { type: "nodes", nodes: [] },
      { type: "workers", workers: [] },
      { type: "downloads", downloads: [] },
      { type: "worker_stats", stats: [] },
      { type: "devices", nodes: [] },
      { type: "exits", exits: [] },
    ]);

    const added = await ours.renderer.invoke(ipcChannel("addNode"), { ...NODE, verify: false });
    expect(added).toMatchObject({ ok: true, value: { node: { node_name: "gpu", status: "unknown" }, host_key_fingerprint: null } });
    // The change's delta is sent on the next turn: a round trip started after it comes back after it.
    await ours.renderer.invoke(ipcChannel("health"), {});
    expect(events).toHaveLength(7);
    expect(events[6]).toMatchObject({ type: "node", op: "upsert", node: { node_name: "gpu", ssh_port: 1 } });

    // An untrusted window's subscription is refused and gets nothing.
    const other = new FakeBrowserWindow();
    await other.loadFile(join(outDir, "renderer", "index.html"));
    const overheard: unknown[] = [];
    other.webContents.renderer.on(IPC_EVENT_CHANNEL, (_event: unknown, payload: unknown) => overheard.push(payload));
    expect(await other.webContents.renderer.invoke(IPC_SUBSCRIBE_CHANNEL)).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });

    // A navigation ends the subscription: the next change reaches nobody.
    await ours.loadURL(ownUrl());
    expect(await ours.renderer.invoke(ipcChannel("removeNode"), { node_name: "gpu" })).toEqual({ ok: true, value: { removed: true } });
    // The change's delta would be sent on the next turn; a round trip later it has not come.
    await ours.renderer.invoke(ipcChannel("health"), {});
    expect(events).toHaveLength(7);
    expect(overheard).toEqual([]);
  });

  it("keeps running with the window closed; activate and second-instance bring the window back", async () => {
    const desktop = await start();
    const first = desktop.mainWindow() as unknown as Window;
    first.close();
    expect(app.emitted).toContain("window-all-closed");
    expect(app.exitCode).toBeUndefined();
    expect(FakeTray.live).toHaveLength(1);

    app.emit("activate");
    const second = desktop.mainWindow() as unknown as Window;
    expect(second).not.toBe(first);
    expect(second.calls).toMatchObject({ show: 1, focus: 1 });
    await until(() => second.webContents.getURL() === ownUrl(), "the new window to load our renderer");
    // The new window is the trusted one.
    expect(await second.webContents.renderer.invoke(ipcChannel("health"), {})).toMatchObject({ ok: true });

    second.minimize();
    app.emit("second-instance");
    expect(desktop.mainWindow()).toBe(second);
    expect(second.calls).toMatchObject({ restore: 1, focus: 2 });
    expect(second.isMinimized()).toBe(false);
  });

  it("quitting closes the queen first, then lets the app quit", async () => {
    const order: string[] = [];
    let firstBeforeQuit: { defaultPrevented: boolean } | undefined;
    // Registered before the app's own listeners, so they see each event first.
    app.on("before-quit", (event: { defaultPrevented: boolean }) => {
      firstBeforeQuit ??= event;
      order.push("before-quit");
    });
    app.on("will-quit", () => order.push(`will-quit (tray ${FakeTray.live.length})`));
    app.on("quit", () => order.push("quit"));
    const desktop = await start();
    const close = desktop.queenServer.close.bind(desktop.queenServer);
    vi.spyOn(desktop.queenServer, "close").mockImplementation(async () => {
      order.push("queen closing");
      await close();
      order.push("queen closed");
    });

    // The tray's Quit, as a user would.
    (desktop.tray.tray as unknown as InstanceType<typeof FakeTray>).contextMenu!.click("Quit");
    expect(await app.whenEnded()).toBe(0);
    expect(order).toEqual(["before-quit", "queen closing", "queen closed", "before-quit", "will-quit (tray 1)", "quit"]);
    expect(firstBeforeQuit?.defaultPrevented, "the first before-quit is held until the queen has closed").toBe(true);
    await expect(fetch(`${desktop.queenServer.baseUrl}/health`)).rejects.toThrow();
    expect(FakeTray.live).toEqual([]);
    expect(FakeBrowserWindow.getAllWindows()).toEqual([]);
  });

  it("quits at once when another instance runs: no queen, no window", async () => {
    app.anotherInstanceRunning = true;
    expect(await startDesktop({ outDir, env: env(), log })).toBeUndefined();
    expect(await app.whenEnded()).toBe(0);
    expect(FakeBrowserWindow.getAllWindows()).toEqual([]);
    expect(ipcHandlers.size).toBe(0);
  });
});
