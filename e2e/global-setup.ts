import { execFileSync } from "node:child_process";

/**
 * Builds what the suite runs, once: the renderer (out/renderer, served by queen-rbee) and the
 * command-line programs (dist/). `RBEE_PREBUILT=1` (scripts/test.sh has just built everything) reuses the builds.
 */
export default function globalSetup(): void {
  if (process.env.RBEE_PREBUILT === "1") return;
  const run = (args: readonly string[]): void => {
    execFileSync("npx", args, { stdio: "inherit", env: process.env });
  };
  run(["electron-vite", "build"]);
  run(["tsc", "-p", "tsconfig.build.json"]);
}
