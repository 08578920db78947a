import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser } from "@playwright/test";
import { build } from "esbuild";

/** Debian's Chromium: Playwright's own browser download is never used here. */
export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A headless Chromium, or the reason there is none. */
export async function launchChromium(): Promise<{ browser: Browser } | { reason: string }> {
  if (!existsSync(CHROMIUM)) return { reason: `${CHROMIUM} is missing (apt-get install -y chromium)` };
  try {
    return { browser: await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS }) };
  } catch (error) {
    return { reason: `Chromium did not start: ${(error as Error).message.split("\n")[0]}` };
  }
}

/** bench/page/probes.ts and the renderer code it uses, bundled into one script for the page. */
export async function pageBundle(): Promise<string> {
  const result = await build({
    entryPoints: [resolve("bench/page/probes.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "chrome120",
    write: false,
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error("esbuild produced no page bundle");
  return output.text;
}
