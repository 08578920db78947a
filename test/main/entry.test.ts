// src/main/index.ts as Electron loads it, under a test double of Electron (the binary cannot run
// here, test/helpers/electron-double.ts): importing the entry starts the app (queen, window, IPC,
// tray) from the environment, and a failure to start exits with 1.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { ipcChannel } from "../../src/shared/contract/index.js";
import { until } from "../helpers/until.js";

vi.mock("electron", async () => (await import("../helpers/electron-double.js")).electronDouble);
const double = await import("../helpers/electron-double.js");
const { FakeBrowserWindow, FakeTray, electronState, resetElectronDouble } = double;
const app = electronState.app;

let home: string;
const logged: string[] = [];

const ENTRY = resolve("src", "main", "index.ts");
let launches = 0;
/** Loads the entry afresh, as Electron would at launch (a new query is a new module; its imports stay shared). */
async function launch(): Promise<void> {
  launches += 1;
  await import(/* @vite-ignore */ `${ENTRY}?launch=${launches}`);
}

beforeEach(() => {
  resetElectronDouble();
  home = mkdtempSync(join(tmpdir(), "rbee-entry-"));
  logged.length = 0;
  vi.spyOn(console, "error").mockImplementation((message: unknown) => void logged.push(String(message)));
  vi.stubEnv("RBEE_HOME", home);
  vi.stubEnv("RBEE_QUEEN_PORT", "0");
  vi.stubEnv("RBEE_QUEEN_HOST", undefined);
  vi.stubEnv("RBEE_TOKEN", "");
  vi.stubEnv("ELECTRON_RENDERER_URL", "");
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  resetElectronDouble();
  rmSync(home, { recursive: true, force: true });
});

it("importing the entry starts the app from the environment; the tray's Quit ends it", async () => {
  await launch();
  await until(() => FakeTray.live.length === 1, "the app to install its tray");
  // The entry's own directory decides where the renderer is: src/ here, out/ in the bundle.
  const [window] = FakeBrowserWindow.getAllWindows();
  const ownUrl = pathToFileURL(resolve("src", "renderer", "index.html")).href;
  await until(() => window!.webContents.getURL() === ownUrl, "the window to load our renderer");
  expect(await window!.webContents.renderer.invoke(ipcChannel("health"), {})).toMatchObject({ ok: true, value: { status: "ok" } });
  expect(logged).toEqual([expect.stringMatching(/^\[rbee\] queen-rbee listening on http:\/\/127\.0\.0\.1:\d+$/)]);

  FakeTray.live[0]!.contextMenu!.click("Quit");
  expect(await app.whenEnded()).toBe(0);
  expect(app.emitted.filter((name) => name.endsWith("quit"))).toEqual(["before-quit", "before-quit", "will-quit", "quit"]);
});

it("a failure to start is logged and exits with 1", async () => {
  // Both the port and the fallback refuse a host beyond loopback.
  vi.stubEnv("RBEE_QUEEN_HOST", "0.0.0.0");
  await launch();
  await until(() => app.exitCode !== undefined, "the app to exit");
  expect(app.exitCode).toBe(1);
  expect(logged.at(-1)).toMatch(/^\[rbee\] failed to start: RbeeError: Refusing to listen on 0\.0\.0\.0/);
  expect(FakeBrowserWindow.getAllWindows()).toEqual([]);
});
