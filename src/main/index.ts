// Electron glue around the queen core: window, IPC, lifecycle. The core itself never imports electron.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { app, BrowserWindow, safeStorage } from "electron";
import { rbeeHome } from "../node-common/home.js";
import { startQueenServer, type QueenServer } from "../core/queen-server.js";
import { registerIpc } from "./ipc.js";
import { SafeStorageSecrets } from "./safe-storage-secrets.js";
import { installTray } from "./tray.js";
import { createMainWindow, isOwnRendererUrl, lockDownSession } from "./window.js";

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_PORT = 8080;

let queenServer: QueenServer | undefined;
let mainWindow: BrowserWindow | undefined;

const log = (message: string): void => console.error(`[rbee] ${message}`);

/** Starts the queen on its usual port, or any free one when a headless queen already holds it. */
async function startQueen(): Promise<QueenServer> {
  const home = rbeeHome();
  const options = {
    home,
    // Key passphrases: encrypted with the OS keychain, only ever in this process.
    secrets: new SafeStorageSecrets(join(home, "secrets.json"), safeStorage, log),
    host: process.env.RBEE_QUEEN_HOST ?? "127.0.0.1",
    token: process.env.RBEE_TOKEN?.trim() || undefined,
    uiDir: join(OUT_DIR, "renderer"),
    sqliteNativeBinding: process.env.RBEE_SQLITE_BINDING ?? join(OUT_DIR, "native", "better_sqlite3.node"),
    log,
  };
  const port = Number(process.env.RBEE_QUEEN_PORT ?? DEFAULT_PORT);
  try {
    return await startQueenServer({ ...options, port });
  } catch (error) {
    log(`port ${port} unavailable (${(error as Error).message}); using a free port`);
    return startQueenServer({ ...options, port: 0 });
  }
}

/** The API table on IPC, for our own window only: the same service the HTTP API runs on. */
function wireIpc(server: QueenServer): void {
  const isTrustedSender = (sender: Electron.WebContents, frameUrl: string | undefined): boolean =>
    mainWindow !== undefined && sender === mainWindow.webContents && isOwnRendererUrl(frameUrl, OUT_DIR);
  registerIpc(server.service, isTrustedSender, log);
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  lockDownSession();
  queenServer = await startQueen();
  log(`queen-rbee listening on ${queenServer.baseUrl}`);
  wireIpc(queenServer);
  mainWindow = createMainWindow(OUT_DIR);
  const showWindow = (): void => {
    if (!mainWindow || mainWindow.isDestroyed()) mainWindow = createMainWindow(OUT_DIR);
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
  let quitting = false;
  app.on("before-quit", (event) => {
    if (quitting || !queenServer) return;
    quitting = true;
    event.preventDefault();
    void queenServer.close().finally(() => app.quit());
  });
}

void main().catch((error: unknown) => {
  log(`failed to start: ${(error as Error)?.stack ?? String(error)}`);
  app.exit(1);
});
