import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";

const RunFile = z.object({
  hive_pid: z.number().int(),
  workers: z.array(z.object({ id: z.string(), pid: z.number().int() })),
  // Older hives wrote no rpc-servers.
  rpc_servers: z.array(z.object({ id: z.string(), pid: z.number().int(), port: z.number().int() })).default([]),
});
type RunFile = z.input<typeof RunFile>;

/** An rpc-server as the run file records it: its port tells it apart from another's (its command line has no id). */
export interface RpcServerPid {
  readonly id: string;
  readonly pid: number;
  readonly port: number;
}

/** True while `pid` runs (or exists under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The command line of a running process, or undefined. */
async function commandLine(pid: number): Promise<string | undefined> {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    if (process.platform === "linux") return undefined;
  }
  return new Promise((resolve) => {
    execFile("ps", ["-o", "command=", "-p", String(pid)], { timeout: 3000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/**
 * Records the pids of this hive's workers and rpc-servers in `RBEE_HOME/run/hive-<pid>.json`. A
 * hive killed with -9 cannot stop them; the next hive to start on the node finds the file of the dead
 * hive and stops what it lists (checking each pid's command line first, since pids get reused).
 */
export class WorkerPidFile {
  private readonly dir: string;
  private readonly path: string;
  private workers: readonly { id: string; pid: number }[] = [];
  private rpcServers: readonly RpcServerPid[] = [];

  constructor(home: string) {
    this.dir = join(home, "run");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.path = join(this.dir, `hive-${process.pid}.json`);
  }

  /** Writes the current list of workers (atomically). */
  write(workers: readonly { id: string; pid: number }[]): void {
    this.workers = workers.map(({ id, pid }) => ({ id, pid }));
    this.flush();
  }

  /** Writes the current list of rpc-servers (atomically). */
  writeRpcServers(servers: readonly RpcServerPid[]): void {
    this.rpcServers = servers.map(({ id, pid, port }) => ({ id, pid, port }));
    this.flush();
  }

  private flush(): void {
    const content: RunFile = { hive_pid: process.pid, workers: [...this.workers], rpc_servers: [...this.rpcServers] };
    const temp = `${this.path}.tmp`;
    try {
      writeFileSync(temp, JSON.stringify(content));
      renameSync(temp, this.path);
    } catch {
      // Best effort: losing this file only loses the cleanup after a kill -9.
    }
  }

  /** Removes this hive's file (on a clean stop). */
  remove(): void {
    rmSync(this.path, { force: true });
  }

  /** Stops the workers and rpc-servers of hives that died without stopping them; answers how many it stopped. */
  async reapOrphans(log: (line: string) => void): Promise<number> {
    const orphans: { id: string; pid: number }[] = [];
    const orphanRpc: RpcServerPid[] = [];
    for (const name of readdirSync(this.dir)) {
      const match = /^hive-(\d+)\.json$/.exec(name);
      if (!match || Number(match[1]) === process.pid || processAlive(Number(match[1]))) continue;
      const file = join(this.dir, name);
      try {
        const parsed = RunFile.safeParse(JSON.parse(readFileSync(file, "utf8")));
        if (parsed.success) {
          orphans.push(...parsed.data.workers);
          orphanRpc.push(...parsed.data.rpc_servers);
        }
      } catch {
        // unreadable: nothing to reap
      }
      rmSync(file, { force: true });
    }
    const reaped: number[] = [];
    for (const orphan of orphans) {
      const command = await commandLine(orphan.pid);
      if (!command?.includes("llm-worker-rbee") || !command.includes(orphan.id)) continue;
      log(`stopping worker ${orphan.id} (pid ${orphan.pid}) left behind by a hive that died`);
      try {
        process.kill(orphan.pid, "SIGTERM");
        reaped.push(orphan.pid);
      } catch {
        // already gone
      }
    }
    for (const orphan of orphanRpc) {
      const command = await commandLine(orphan.pid);
      if (!command?.includes("rpc-server") || !` ${command} `.includes(` -p ${orphan.port} `)) continue;
      log(`stopping rpc-server ${orphan.id} (pid ${orphan.pid}, port ${orphan.port}) left behind by a hive that died`);
      try {
        process.kill(orphan.pid, "SIGTERM");
        reaped.push(orphan.pid);
      } catch {
        // already gone
      }
    }
    for (let waited = 0; waited < 5000 && reaped.some(processAlive); waited += 100) await delay(100);
    for (const pid of reaped.filter(processAlive)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    return reaped.length;
  }
}
