import { existsSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LOG_MAX_BYTES, RotatingLog, previousFile } from "./rotating-log.js";

/** Stopped workers whose log files are kept by default. */
export const DEFAULT_KEPT_WORKER_LOGS = 20;

const WORKER_LOG = /^worker-(.+)\.log$/;

/**
 * The workers' log files in the hive's `logs/`: one per worker (`worker-<id>.log`, rotated at the
 * cap into `worker-<id>.log.1`), open while it runs and kept after it stops, so that a crash can be
 * read afterwards. Of the stopped workers, the files of the newest `keep` stay; older ones go.
 * Ids are WorkerIds (letters, digits, '.', '_', '-'), so a file name never leaves the folder.
 */
export class WorkerLogs {
  private readonly live = new Map<string, RotatingLog>();

  constructor(
    readonly dir: string,
    private readonly options: { readonly keep?: number; readonly maxBytes?: number } = {},
  ) {}

  /** The file a worker's output goes to. */
  pathOf(workerId: string): string {
    return join(this.dir, `worker-${workerId}.log`);
  }

  /** Opens a new worker's log (appending when the id's file exists). */
  open(workerId: string): RotatingLog {
    const log = new RotatingLog(this.pathOf(workerId), this.options.maxBytes ?? DEFAULT_LOG_MAX_BYTES);
    this.live.set(workerId, log);
    log.onEnd(() => {
      if (this.live.get(workerId) === log) this.live.delete(workerId);
      this.prune();
    });
    return log;
  }

  /** The log of a running worker. */
  running(workerId: string): RotatingLog | undefined {
    return this.live.get(workerId);
  }

  /** Whether a log exists for this worker (running, or kept after it stopped). */
  has(workerId: string): boolean {
    return this.live.has(workerId) || existsSync(this.pathOf(workerId)) || existsSync(previousFile(this.pathOf(workerId)));
  }

  /** Deletes the files of stopped workers beyond the newest `keep`. */
  prune(): void {
    const keep = this.options.keep ?? DEFAULT_KEPT_WORKER_LOGS;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const stopped = names
      .map((name) => WORKER_LOG.exec(name)?.[1])
      .filter((id): id is string => id !== undefined && !this.live.has(id))
      .map((id) => ({ id, mtime: mtimeOf(this.pathOf(id)) }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const { id } of stopped.slice(keep)) {
      for (const path of [this.pathOf(id), previousFile(this.pathOf(id))]) {
        try {
          unlinkSync(path);
        } catch {
          // Already gone.
        }
      }
    }
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
