// The Electron entry (package.json "main" → out/main/index.js): starts the desktop app when
// Electron loads it. Everything it starts is in desktop.ts, where tests can reach it.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { app } from "electron";
import { startDesktop } from "./desktop.js";

// The bundle's own directory decides where the renderer, preload and native build are.
const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

const log = (message: string): void => console.error(`[rbee] ${message}`);

void startDesktop({ outDir: OUT_DIR, log }).catch((error: unknown) => {
  log(`failed to start: ${(error as Error)?.stack ?? String(error)}`);
  app.exit(1);
});
