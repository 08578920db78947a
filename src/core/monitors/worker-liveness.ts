import type { RegisteredWorker } from "../../shared/contract/index.js";
import { PeriodicMonitor } from "./periodic-monitor.js";

/** Heartbeats a worker may miss before it gets no new work. */
export const STALE_AFTER_BEATS = 3;
/** Heartbeats after which a silent worker is removed (and stopped if it still runs). */
export const EXPIRE_AFTER_BEATS = 6;

/** Which workers are silent too long: `stale` ones get no new work, `expired` ones are removed. */
export function classifyLiveness(
  workers: readonly RegisteredWorker[],
  silentForMs: (workerId: string) => number,
  heartbeatMs: number,
): { readonly stale: ReadonlySet<string>; readonly expired: readonly string[] } {
  const stale = new Set<string>();
  const expired: string[] = [];
  for (const worker of workers) {
    const silent = silentForMs(worker.id);
    if (silent > EXPIRE_AFTER_BEATS * heartbeatMs) expired.push(worker.id);
    else if (silent > STALE_AFTER_BEATS * heartbeatMs) stale.add(worker.id);
  }
  return { stale, expired };
}

/**
 * Checks the workers' heartbeats once per heartbeat interval: a worker that misses three beats is
 * stale (the scheduler skips it); one silent for six is dropped and its node asked to stop it.
 */
export class WorkerLivenessMonitor extends PeriodicMonitor {
  private staleIds: ReadonlySet<string> = new Set();

  constructor(
    private readonly workers: () => readonly RegisteredWorker[],
    private readonly silentForMs: (workerId: string) => number,
    private readonly heartbeatMs: number,
    private readonly onExpired: (workerId: string) => void,
  ) {
    super(heartbeatMs);
  }

  /** True while a worker has missed too many heartbeats to be given work. */
  isStale(workerId: string): boolean {
    return this.staleIds.has(workerId) || this.silentForMs(workerId) > STALE_AFTER_BEATS * this.heartbeatMs;
  }

  /** One round: records the stale workers and reports the expired ones. */
  tick(): void {
    const { stale, expired } = classifyLiveness(this.workers(), this.silentForMs, this.heartbeatMs);
    this.staleIds = stale;
    for (const workerId of expired) this.onExpired(workerId);
  }
}
