// The main window's lockdown (src/main/window.ts) under a test double of Electron (the binary cannot
// run here, test/helpers/electron-double.ts): which URLs count as our renderer, which links leave
// for the browser, navigation, new windows, webviews and permissions.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("electron", async () => (await import("../helpers/electron-double.js")).electronDouble);
const { electronState, resetElectronDouble, FakeBrowserWindow } = await import("../helpers/electron-double.js");
const { createMainWindow, isOwnRendererUrl, lockDownSession, openExternalSafely, rendererEntry } = await import("../../src/main/window.js");

// An absolute path on every platform (join gives Windows its own separators).
const OUT_DIR = join("/", "app", "out");
const OWN_FILE_URL = "file:///app/out/renderer/index.html";
const DEV_URL = "http://localhost:5173";

beforeEach(() => {
  resetElectronDouble();
  vi.stubEnv("ELECTRON_RENDERER_URL", "");
});
afterEach(() => vi.unstubAllEnvs());

/** A window as createMainWindow makes it, once its page has loaded. */
async function openWindow(): Promise<InstanceType<typeof FakeBrowserWindow>> {
  const window = createMainWindow(OUT_DIR) as unknown as InstanceType<typeof FakeBrowserWindow>;
  await new Promise((resolve) => window.once("ready-to-show", resolve));
  return window;
}

describe("isOwnRendererUrl: the built renderer", () => {
  it("accepts our index file, also with a route in the fragment or a query", () => {
    expect(isOwnRendererUrl(OWN_FILE_URL, OUT_DIR)).toBe(true);
    expect(isOwnRendererUrl(`${OWN_FILE_URL}#/nodes`, OUT_DIR)).toBe(true);
    expect(isOwnRendererUrl(`${OWN_FILE_URL}?tab=workers`, OUT_DIR)).toBe(true);
    expect(isOwnRendererUrl("file://localhost/app/out/renderer/index.html", OUT_DIR)).toBe(true);
  });

  it.each([
    ["another file of the renderer", "file:///app/out/renderer/other.html"],
    ["a system file", "file:///etc/passwd"],
    ["a sibling with a longer name", "file:///app/out/renderer/index.html.evil"],
    ["a file below our index", "file:///app/out/renderer/index.html/x"],
    ["the preload", "file:///app/out/preload/index.cjs"],
    ["%2e%2e out of the renderer", "file:///app/out/renderer/%2e%2e/%2e%2e/etc/passwd"],
    ["%2E%2E upper case", "file:///app/out/renderer/%2E%2E/secret/index.html"],
    ["an encoded separator", "file:///app/out/renderer/..%2findex.html"],
    ["an encoded separator through to our path", "file:///app%2fout%2frenderer%2findex.html"],
    ["a file on another host (a UNC share on Windows)", "file://evil.example/app/out/renderer/index.html"],
    ["our path over https", "https://app/out/renderer/index.html"],
    ["a dev server while running built files", `${DEV_URL}/`],
  ])("refuses %s", (_what, url) => {
    expect(isOwnRendererUrl(url, OUT_DIR)).toBe(false);
  });

  it("accepts a path that only normalises to our index (it is the same file)", () => {
    expect(isOwnRendererUrl("file:///app/out/preload/%2e%2e/renderer/index.html", OUT_DIR)).toBe(true);
  });

  it.each([undefined, "", "index.html", "not a url", "file:", "http://[::1", "://app/out/renderer/index.html", "\u0000"])(
    "refuses a missing or malformed URL: %j",
    (url) => {
      expect(isOwnRendererUrl(url, OUT_DIR)).toBe(false);
    },
  );
});

describe("isOwnRendererUrl: the dev server (ELECTRON_RENDERER_URL)", () => {
  beforeEach(() => vi.stubEnv("ELECTRON_RENDERER_URL", DEV_URL));

  it("accepts the dev server's origin, any path", () => {
    expect(rendererEntry(OUT_DIR)).toEqual({ url: DEV_URL });
    expect(isOwnRendererUrl(`${DEV_URL}/`, OUT_DIR)).toBe(true);
    expect(isOwnRendererUrl(`${DEV_URL}/src/main.tsx#/nodes`, OUT_DIR)).toBe(true);
  });

  it.each([
    ["another port", "http://localhost:5174/"],
    ["the default port", "http://localhost/"],
    ["https on the same port", "https://localhost:5173/"],
    ["another name for the same machine", "http://127.0.0.1:5173/"],
    ["a look-alike host", "http://localhost:5173.evil.example/"],
    ["user info before another host", "http://localhost:5173@evil.example/"],
    ["our origin in the query", `https://evil.example/?u=${DEV_URL}`],
    ["the built file", OWN_FILE_URL],
    ["a malformed URL", "http://localhost:5173:5173/"],
  ])("refuses %s", (_what, url) => {
    expect(isOwnRendererUrl(url, OUT_DIR)).toBe(false);
  });
});

describe("openExternalSafely: only http and https leave for the browser, after parsing", () => {
  it("opens http(s) links, normalised by the URL parser", () => {
    openExternalSafely("https://github.com/rbee/rbee");
    openExternalSafely("HTTP://Example.COM/a b");
    openExternalSafely("  https://example.com/padded  ");
    expect(electronState.shell.opened).toEqual(["https://github.com/rbee/rbee", "http://example.com/a%20b", "https://example.com/padded"]);
  });

  it.each([
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "file:///etc/passwd",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "smb://evil.example/share",
    "ms-msdt:/id PCWDiagnostic",
    "mailto:someone@example.com",
    "ssh://evil.example",
    "//evil.example/path",
    "http://",
    "not a url",
    "",
  ])("drops %j", (url) => {
    openExternalSafely(url);
    expect(electronState.shell.opened).toEqual([]);
  });
});

describe("createMainWindow", () => {
  it("is isolated, sandboxed and without Node, with our preload, and shows once painted", async () => {
    const window = createMainWindow(OUT_DIR) as unknown as InstanceType<typeof FakeBrowserWindow>;
    expect(window.options.show).toBe(false);
    expect(window.options.webPreferences).toMatchObject({
      preload: join(OUT_DIR, "preload", "index.cjs"),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      disableBlinkFeatures: "Auxclick",
    });
    expect(window.calls.show).toBe(0);
    await new Promise((resolve) => window.once("ready-to-show", resolve));
    expect(window.calls.show).toBe(1);
    expect(isOwnRendererUrl(window.webContents.getURL(), OUT_DIR)).toBe(true);
  });

  it("loads the dev server when ELECTRON_RENDERER_URL is set", async () => {
    vi.stubEnv("ELECTRON_RENDERER_URL", DEV_URL);
    const window = await openWindow();
    expect(window.webContents.getURL()).toBe(`${DEV_URL}/`);
  });
});

describe("the window's navigation lockdown", () => {
  it("stays on our renderer: its own URL navigates, nothing else does", async () => {
    const { webContents } = await openWindow();
    expect(webContents.userNavigates(`${OWN_FILE_URL}#/workers`)).toBe(true);
    expect(webContents.userNavigates("https://evil.example/phish")).toBe(false);
    expect(webContents.userNavigates("file:///etc/passwd")).toBe(false);
    expect(webContents.userNavigates("file:///app/out/renderer/%2e%2e/%2e%2e/etc/passwd")).toBe(false);
    expect(webContents.userNavigates("javascript:alert(1)")).toBe(false);
    expect(webContents.getURL()).toBe(`${OWN_FILE_URL}#/workers`);
    // Web links go to the browser instead; the rest goes nowhere.
    expect(electronState.shell.opened).toEqual(["https://evil.example/phish"]);
  });

  it("in dev, another port of the dev server is another site", async () => {
    vi.stubEnv("ELECTRON_RENDERER_URL", DEV_URL);
    const { webContents } = await openWindow();
    expect(webContents.userNavigates(`${DEV_URL}/#/nodes`)).toBe(true);
    expect(webContents.userNavigates("http://localhost:5174/")).toBe(false);
    expect(electronState.shell.opened).toEqual(["http://localhost:5174/"]);
  });

  it("opens no window, ever: web links go to the browser, other schemes nowhere", async () => {
    const { webContents } = await openWindow();
    expect(webContents.userOpensWindow("https://example.com/docs")).toBe("deny");
    expect(webContents.userOpensWindow(OWN_FILE_URL)).toBe("deny");
    expect(webContents.userOpensWindow("javascript:alert(1)")).toBe("deny");
    expect(webContents.userOpensWindow("file:///etc/passwd")).toBe("deny");
    expect(electronState.shell.opened).toEqual(["https://example.com/docs"]);
    expect(FakeBrowserWindow.getAllWindows()).toHaveLength(1);
  });

  it("attaches no webview", async () => {
    const { webContents } = await openWindow();
    expect(webContents.userAttachesWebview(OWN_FILE_URL)).toBe(false);
    expect(webContents.userAttachesWebview("https://example.com")).toBe(false);
  });
});

describe("lockDownSession", () => {
  const PERMISSIONS = ["media", "geolocation", "notifications", "clipboard-read", "clipboard-sanitized-write", "midi", "openExternal", "fullscreen", "hid", "serial", "usb"];

  it("without it, Electron would grant every permission (what the lockdown is for)", async () => {
    const { webContents } = await openWindow();
    expect(await electronState.session.requestPermission(webContents, "media")).toBe(true);
    expect(electronState.session.checkPermission(webContents, "media", "file://")).toBe(true);
  });

  it("denies every permission request and every permission check", async () => {
    lockDownSession();
    const { webContents } = await openWindow();
    for (const permission of PERMISSIONS) {
      expect(await electronState.session.requestPermission(webContents, permission), permission).toBe(false);
      expect(electronState.session.checkPermission(webContents, permission, "file://"), permission).toBe(false);
      expect(electronState.session.checkPermission(webContents, permission, DEV_URL), permission).toBe(false);
    }
  });
});
