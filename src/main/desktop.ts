// Electron glue around the queen core: window, IPC, tray, lifecycle. The core itself never imports
// electron. index.ts is the entry that starts it; the tests start it with a test double of Electron.
import { join } from "node:path";
import { app, BrowserWindow, safeStorage } from "electron";
import { rbeeHome } from "../node-common/home.js";
import { startQueenServer, type QueenServer } from "../core/queen-server.js";
import { registerIpc, type TrustedSender } from "./ipc.js";
import { SafeStorageSecrets } from "./safe-storage-secrets.js";
import { installTray, type TrayHandle } from "./tray.js";
import { createMainWindow, isOwnRendererUrl, lockDownSession } from "./window.js";

/** The queen's usual port (RBEE_QUEEN_PORT overrides it). */
export const DEFAULT_PORT = 8080;

export interface DesktopOptions {
  /** The built app: renderer/, preload/ and native/ are below it. */
  readonly outDir: string;
  /** RBEE_HOME, RBEE_QUEEN_HOST, RBEE_QUEEN_PORT, RBEE_TOKEN, RBEE_SQLITE_BINDING, RBEE_LOCAL_NODE, RBEE_MODEL_CATALOG; default process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly log: (message: string) => void;
}

/** The running desktop app. */
export interface Desktop {
  readonly queenServer: QueenServer;
  readonly tray: TrayHandle;
  /** The main window now (showWindow replaces it once it was closed). */
  mainWindow(): BrowserWindow | undefined;
  /** Shows (creating it if needed) and focuses the main window. */
  showWindow(): void;
}

/** Only our main window, showing our own renderer, may call the API over IPC. */
export function trustedSender(mainWindow: () => BrowserWindow | undefined, outDir: string): TrustedSender {
  return (sender, frameUrl) => {
    const window = mainWindow();
    return window !== undefined && !window.isDestroyed() && sender === window.webContents && isOwnRendererUrl(frameUrl, outDir);
  };
}

/** Starts the queen on its usual port, or any free one when a headless queen already holds it. */
export async function startQueen({ outDir, env = process.env, log }: DesktopOptions): Promise<QueenServer> {
  const home = rbeeHome(env);
  const options = {
    home,
    // Key passphrases: encrypted with the OS keychain (never with basic_text), only ever in this process.
    secrets: await SafeStorageSecrets.open(join(home, "secrets.json"), safeStorage, log),
    host: env.RBEE_QUEEN_HOST ?? "127.0.0.1",
    token: env.RBEE_TOKEN?.trim() || undefined,
    uiDir: join(outDir, "renderer"),
    sqliteNativeBinding: env.RBEE_SQLITE_BINDING ?? join(outDir, "native", "better_sqlite3.node"),
    // This computer is a node from the first start (its hive runs from this installation: out/ is in
    // it; an installed app runs dist/ and node_modules from outside app.asar, electron-builder.yml).
    addLocalNode: env.RBEE_LOCAL_NODE?.trim() !== "0",
    installRoot: app.isPackaged ? join(process.resourcesPath, "app.asar.unpacked") : join(outDir, ".."),
    modelCatalogFile: env.RBEE_MODEL_CATALOG?.trim() || undefined,
    log,
    // RBEE_HOME/queen.json: rbee-keeper finds this queen on whichever port it got.
    writeQueenFile: true,
  };
  const port = Number(env.RBEE_QUEEN_PORT ?? DEFAULT_PORT);
  try {
    return await startQueenServer({ ...options, port });
  } catch (error) {
    log(`port ${port} unavailable (${(error as Error).message}); using a free port`);
    return startQueenServer({ ...options, port: 0 });
  }
}

/** Quitting stops the queen first (its nodes' hives, then its API), then lets the app quit. */
export function closeQueenBeforeQuit(queenServer: QueenServer, log: (message: string) => void): void {
  let quitting = false;
  app.on("before-quit", (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void queenServer
      .close()
      .catch((error: unknown) => log(`closing the queen: ${(error as Error)?.message ?? String(error)}`))
      .finally(() => app.quit());
  });
}

/**
 * Starts the desktop app: one instance, a locked-down session, the queen, the API on IPC for our
 * window, the window and the tray. Answers undefined when another instance runs (this one quits).
 */
export async function startDesktop(options: DesktopOptions): Promise<Desktop | undefined> {
  const { outDir, log } = options;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  await app.whenReady();
  lockDownSession();
  const queenServer = await startQueen(options);
  log(`queen-rbee listening on ${queenServer.baseUrl}`);
  let mainWindow: BrowserWindow | undefined;
  // The API table on IPC, for our own window only: the same service the HTTP API runs on.
  registerIpc(queenServer.service, trustedSender(() => mainWindow, outDir), log);
  mainWindow = createMainWindow(outDir);
  const showWindow = (): void => {
    if (!mainWindow || mainWindow.isDestroyed()) mainWindow = createMainWindow(outDir);
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };
  const tray = installTray({ service: queenServer.service, showWindow, quit: () => app.quit(), log });
  app.on("will-quit", () => tray.dispose());
  app.on("second-instance", showWindow);
  app.on("activate", showWindow);
  // The workers keep running with the window closed: the tray stays, and its menu quits.
  app.on("window-all-closed", () => {});
  closeQueenBeforeQuit(queenServer, log);
  return { queenServer, tray, mainWindow: () => mainWindow, showWindow };
}
