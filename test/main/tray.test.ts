// The tray (src/main/tray.ts) under a test double of Electron (the binary cannot run here,
// test/helpers/electron-double.ts): its icon, tooltip and menu follow the service's state feed,
// node transitions notify, its menu acts, and dispose leaves nothing behind.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RbeeError, type Beehive, type QueenEvent, type RegisteredWorker } from "../../src/shared/contract/index.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { until } from "../helpers/until.js";
import { node, worker } from "../helpers/fleet-rows.js";

vi.mock("electron", async () => (await import("../helpers/electron-double.js")).electronDouble);
const { FakeNotification, FakeTray, resetElectronDouble } = await import("../helpers/electron-double.js");
const { TRAY_PROBE, installTray } = await import("../../src/main/tray.js");

type Tray = InstanceType<typeof FakeTray>;


/** A state feed as the service's: both snapshots at once on subscribe, then what the test pushes. */
function fakeService(initial: { nodes?: Beehive[]; workers?: RegisteredWorker[] } = {}) {
  const listeners = new Set<(event: QueenEvent) => void>();
  const stopWorker = vi.fn(async (_input: { readonly id: string }): Promise<unknown> => undefined);
  return {
    listeners,
    stopWorker,
    service: {
      events(listener: (event: QueenEvent) => void) {
        listeners.add(listener);
        listener({ type: "nodes", nodes: initial.nodes ?? [] });
        listener({ type: "workers", workers: initial.workers ?? [] });
        return () => void listeners.delete(listener);
      },
      stopWorker,
    },
    push(event: QueenEvent) {
      for (const listener of listeners) listener(event);
    },
  };
}

/** The icon file a level shows on this platform. */
const iconFile = (level: string): string => join(process.cwd(), "resources", process.platform === "linux" ? `tray-${level}-32.png` : `tray-${level}.png`);
const menuOf = (tray: Tray) => tray.contextMenu!.items.map((item) => (item.type === "separator" ? "---" : `${item.label}${item.enabled ? "" : " (disabled)"}`));

const calls = { showWindow: 0, quit: 0 };
const logs: string[] = [];
const showWindow = (): void => void (calls.showWindow += 1);
const quit = (): void => void (calls.quit += 1);
const log = (message: string): void => void logs.push(message);

beforeEach(() => {
  resetElectronDouble();
  calls.showWindow = 0;
  calls.quit = 0;
  logs.length = 0;
});

describe("installTray", () => {
  it("starts from the feed's snapshots: the icon, tooltip and menu of the fleet as it is", () => {
    const feed = fakeService({ nodes: [node("mac", "ready")], workers: [worker("a", "busy")] });
    const handle = installTray({ service: feed.service, showWindow, quit, notify: false, log });
    const tray = handle.tray as unknown as Tray;
    expect(FakeTray.live).toEqual([tray]);
    expect(tray.image.path).toBe(iconFile("healthy"));
    expect(tray.image.isEmpty()).toBe(false);
    expect(tray.tooltip).toBe("1 node · 0 idle · 1 busy");
    expect(menuOf(tray)).toEqual(["1 node · 0 idle · 1 busy (disabled)", "---", "Open rbee", "Stop all workers", "---", "Quit"]);
    expect((globalThis as Record<symbol, unknown>)[Symbol.for(TRAY_PROBE)]).toBe(handle);
    expect(logs).toEqual([]);
    handle.dispose();
  });

  it("follows the fleet: idle, then busy, then a node unreachable", () => {
    const feed = fakeService();
    const handle = installTray({ service: feed.service, showWindow, quit, notify: false, log });
    const tray = handle.tray as unknown as Tray;
    expect([tray.image.path, tray.tooltip]).toEqual([iconFile("idle"), "0 nodes · 0 idle · 0 busy"]);
    expect(menuOf(tray)).toContain("Stop all workers (disabled)");

    feed.push({ type: "nodes", nodes: [node("mac", "ready"), node("gpu", "ready")] });
    feed.push({ type: "workers", workers: [worker("a", "idle"), worker("b", "loading")] });
    expect([tray.image.path, tray.tooltip]).toEqual([iconFile("healthy"), "2 nodes · 1 idle · 0 busy · 1 loading"]);
    expect(menuOf(tray)).toContain("Stop all workers");

    feed.push({ type: "nodes", nodes: [node("mac", "ready"), node("gpu", "unreachable")] });
    expect([tray.image.path, tray.tooltip]).toEqual([iconFile("warning"), "2 nodes · 1 idle · 0 busy · 1 loading\nUnreachable: gpu"]);
    expect(menuOf(tray)).toEqual([
      "2 nodes · 1 idle · 0 busy · 1 loading (disabled)",
      "⚠ gpu unreachable (disabled)",
      "---",
      "Open rbee",
      "Stop all workers",
      "---",
      "Quit",
    ]);
    expect(handle.status().level).toBe("warning");
    handle.dispose();
  });

  it("notifies when a node goes down and when it comes back, not for the first snapshot", () => {
    const feed = fakeService({ nodes: [node("gpu", "unreachable")] });
    const handle = installTray({ service: feed.service, showWindow, quit, log });
    expect(FakeNotification.shown).toEqual([]);

    feed.push({ type: "nodes", nodes: [node("gpu", "ready")] });
    feed.push({ type: "nodes", nodes: [node("gpu", "unreachable")] });
    // A new node, or one that stays down, says nothing.
    feed.push({ type: "nodes", nodes: [node("gpu", "unreachable"), node("mac", "unknown")] });
    expect(FakeNotification.shown.map((n) => n.options)).toEqual([
      { title: "gpu is back", body: "rbee reached vince@gpu.home.arpa again.", silent: true },
      {
        title: "gpu is unreachable",
        body: "rbee lost its SSH connection to vince@gpu.home.arpa; its workers cannot answer until it is back.",
        silent: false,
      },
    ]);
    // Clicking a notification opens the window.
    FakeNotification.shown[1]!.emit("click");
    expect(calls.showWindow).toBe(1);
    handle.dispose();
  });

  it("hands notices to a custom notify, and shows none where notifications are unsupported or off", () => {
    const notices: string[] = [];
    const feed = fakeService({ nodes: [node("gpu", "ready")] });
    const custom = installTray({ service: feed.service, showWindow, quit, notify: (notice) => notices.push(`${notice.kind} ${notice.node_name}`), log });
    feed.push({ type: "nodes", nodes: [node("gpu", "unreachable")] });
    expect(notices).toEqual(["down gpu"]);
    custom.dispose();

    FakeNotification.supported = false;
    const unsupported = installTray({ service: feed.service, showWindow, quit, log });
    feed.push({ type: "nodes", nodes: [node("gpu", "ready")] });
    unsupported.dispose();
    const off = installTray({ service: feed.service, showWindow, quit, notify: false, log });
    FakeNotification.supported = true;
    feed.push({ type: "nodes", nodes: [node("gpu", "unreachable")] });
    off.dispose();
    expect(FakeNotification.shown).toEqual([]);
  });

  it("its menu opens the window, stops every worker and quits; a click opens the window off macOS", async () => {
    const feed = fakeService({ workers: [worker("a", "idle"), worker("b", "busy")] });
    const handle = installTray({ service: feed.service, showWindow, quit, notify: false, log });
    const tray = handle.tray as unknown as Tray;
    tray.contextMenu!.click("Open rbee");
    expect(calls.showWindow).toBe(1);
    tray.contextMenu!.click("Stop all workers");
    expect(feed.stopWorker.mock.calls.map(([input]) => input)).toEqual([{ id: "a" }, { id: "b" }]);
    tray.contextMenu!.click("Quit");
    expect(calls.quit).toBe(1);
    tray.emit("click");
    expect(calls.showWindow).toBe(process.platform === "darwin" ? 1 : 2);
    handle.dispose();
  });

  it("stop all workers tries every worker and reports each failure through log", async () => {
    const feed = fakeService({ workers: [worker("a", "idle"), worker("b", "busy"), worker("c", "idle")] });
    feed.stopWorker.mockImplementation(async ({ id }) => {
      if (id === "a") throw new RbeeError("WORKER_NOT_FOUND", `No worker "a"`);
      if (id === "c") throw new RbeeError("SSH_FAILED", "gpu is unreachable");
      return undefined;
    });
    const handle = installTray({ service: feed.service, showWindow, quit, notify: false, log });
    (handle.tray as unknown as Tray).contextMenu!.click("Stop all workers");
    expect(feed.stopWorker).toHaveBeenCalledTimes(3);
    // Once every stop has settled and the microtasks queued after them have run, the tray has reported.
    await Promise.allSettled(feed.stopWorker.mock.results.map((result) => result.value));
    await new Promise((turn) => setImmediate(turn));
    expect(logs).toEqual([`stop all workers: No worker "a"`, "stop all workers: gpu is unreachable"]);
    handle.dispose();
  });

  it("says so when its icons are missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "rbee-tray-"));
    try {
      const handle = installTray({ service: fakeService().service, showWindow, quit, notify: false, resourcesDir: empty, log });
      expect((handle.tray as unknown as Tray).image.isEmpty()).toBe(true);
      expect(logs).toEqual([`tray icon for idle not found in ${empty}`]);
      handle.dispose();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("dispose unsubscribes from the feed, destroys the icon and removes the probe", () => {
    const feed = fakeService();
    const handle = installTray({ service: feed.service, showWindow, quit, log });
    const tray = handle.tray as unknown as Tray;
    expect(feed.listeners.size).toBe(1);
    handle.dispose();
    expect(feed.listeners.size).toBe(0);
    expect(tray.isDestroyed()).toBe(true);
    expect(FakeTray.live).toEqual([]);
    expect((globalThis as Record<symbol, unknown>)[Symbol.for(TRAY_PROBE)]).toBeUndefined();
    // Idempotent, and a late event finds nothing to draw on.
    handle.dispose();
    expect(() => feed.push({ type: "nodes", nodes: [node("gpu", "unreachable")] })).not.toThrow();
  });
});

describe("installTray on a real queen's service", () => {
  let home: string;
  let server: QueenServer;
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), "rbee-tray-queen-"));
    server = await startQueenServer({ home, host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: "", log: () => {} });
  });
  afterEach(async () => {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("reads the queen's state feed: a registered worker shows, stop all workers removes it", async () => {
    const handle = installTray({ service: server.service, showWindow, quit, notify: false, log });
    const tray = handle.tray as unknown as Tray;
    expect(tray.tooltip).toBe("0 nodes · 0 idle · 0 busy");
    server.service.registerWorker(
      { worker_id: "w1", url: "http://127.0.0.1:9301", model_ref: "tinyllama", backend: "cpu", device: 0, slots_total: 1, slots_available: 0, state: "busy", node_name: "mac" },
      { kind: "user" },
    );
    await until(() => tray.tooltip === "0 nodes · 0 idle · 1 busy", "the tooltip to show the busy worker");
    expect(tray.image.path).toBe(iconFile("healthy"));
    tray.contextMenu!.click("Stop all workers");
    await until(() => tray.tooltip === "0 nodes · 0 idle · 0 busy", "the tooltip to show no worker");
    expect(server.service.liveWorkers()).toEqual([]);
    expect(menuOf(tray)).toContain("Stop all workers (disabled)");
    handle.dispose();
  });
});
