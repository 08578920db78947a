import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BrowserWindow, session, shell, type WebContents } from "electron";

/** Where the renderer comes from: the electron-vite dev server, or the built files. */
export function rendererEntry(outDir: string): { readonly url?: string; readonly file?: string } {
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  return devUrl ? { url: devUrl } : { file: join(outDir, "renderer", "index.html") };
}

/** True for a URL of our own renderer (the dev server origin, or our built index file). */
export function isOwnRendererUrl(url: string | undefined, outDir: string): boolean {
  if (!url) return false;
  const entry = rendererEntry(outDir);
  try {
    const parsed = new URL(url);
    if (entry.url) return parsed.origin === new URL(entry.url).origin;
    // fileURLToPath gives the platform's own path (C:\… on Windows, where a pathname would not
    // match); a host (a UNC share on Windows) never matches, and encoded separators throw.
    return parsed.protocol === "file:" && fileURLToPath(parsed) === entry.file;
  } catch {
    return false;
  }
}

/** Opens an http(s) link in the user's browser after parsing it; anything else is dropped. */
export function openExternalSafely(url: string): void {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "https:" || parsed.protocol === "http:") void shell.openExternal(parsed.toString());
  } catch {
    // Not a URL: nothing to open.
  }
}

/** Denies every permission request (camera, notifications from web content, …) for all sessions. */
export function lockDownSession(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

/** Blocks navigation and new windows; links to the web open in the browser instead. */
function lockDownContents(contents: WebContents, outDir: string): void {
  contents.on("will-navigate", (event, url) => {
    if (isOwnRendererUrl(url, outDir)) return;
    event.preventDefault();
    openExternalSafely(url);
  });
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(url);
    return { action: "deny" };
  });
}

/** The main window, hardened: isolated, sandboxed, no Node in the renderer. */
export function createMainWindow(outDir: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 800,
    minHeight: 500,
    show: false,
    title: "rbee",
    webPreferences: {
      preload: join(outDir, "preload", "index.cjs"),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      // Middle-click would open links in new windows behind the window-open handler's back.
      disableBlinkFeatures: "Auxclick",
      spellcheck: false,
    },
  });
  lockDownContents(window.webContents, outDir);
  window.once("ready-to-show", () => window.show());
  const entry = rendererEntry(outDir);
  if (entry.url) void window.loadURL(entry.url);
  else if (entry.file) void window.loadFile(entry.file);
  return window;
}
