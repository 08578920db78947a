import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnNodeScript, type RunningProcess } from "../../test/helpers/process.js";

/**
 * For a queen whose workers and nodes the benchmark made up: a one-hour heartbeat interval, so that
 * the liveness monitor does not expire workers that never beat, and an hourly node health round.
 */
export const QUIET_QUEEN_ENV: Record<string, string> = {
  RBEE_HEARTBEAT_MS: "3600000",
  RBEE_HEALTH_INTERVAL_MS: "3600000",
  RBEE_LOCAL_NODE: "0",
};

/** A `queen-rbee` of the benchmarked build, on a free loopback port, with its own RBEE_HOME. */
export interface BenchQueen {
  readonly baseUrl: string;
  readonly token: string;
  /** The UI's address with the token in the fragment. */
  readonly uiUrl: string;
  readonly pid: number;
  readonly home: string;
  readonly process: RunningProcess;
  /** Resident memory of the queen process, in bytes (Linux /proc). */
  rssBytes(): number;
  stop(): Promise<void>;
}

/** Starts `root/dist/bin/queen-rbee.js --port 0` and waits until it names the file with its UI link. */
export async function startBenchQueen(root: string, env: Record<string, string> = {}): Promise<BenchQueen> {
  const home = mkdtempSync(join(tmpdir(), "rbee-bench-queen-"));
  const child = spawnNodeScript(join(root, "dist/bin/queen-rbee.js"), ["--port", "0"], {
    env: { ...process.env, RBEE_HOME: home, RBEE_TOKEN: "", ...env },
  });
  const [, baseUrl = ""] = await child.waitForLine(/^queen-rbee listening on (\S+)$/, { timeoutMs: 30_000 });
  // Not a terminal: the link (with the token) is in the file the line names.
  const [, uiFile = ""] = await child.waitForLine(/^Open the UI with the link in (\S+) /, { timeoutMs: 30_000 });
  const uiUrl = readFileSync(uiFile, "utf8").trim();
  return {
    baseUrl,
    uiUrl,
    token: uiUrl.split("#token=")[1] ?? "",
    pid: child.pid,
    home,
    process: child,
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : Number.NaN;
    },
    async stop() {
      await child.stop(15_000);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
