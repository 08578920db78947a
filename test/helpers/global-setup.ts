import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/** Builds the command-line programs once, so that tests run the same files users run. */
export default function setup(): void {
  // scripts/test.sh has just built everything.
  if (process.env.RBEE_PREBUILT === "1") return;
  execFileSync(process.execPath, [resolve("node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
}
