import { execFile } from "node:child_process";
import { resolve } from "node:path";

/** What one `rbee-keeper` run printed and returned. */
export interface KeeperRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const KEEPER_BIN = resolve("dist/bin/rbee-keeper.js");

/** Runs the built `rbee-keeper` with `args` against a queen, to completion. */
export function runKeeperBin(args: readonly string[], env: Record<string, string>): Promise<KeeperRun> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [KEEPER_BIN, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}
