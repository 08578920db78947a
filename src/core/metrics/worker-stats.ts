import { RECENT_JOBS, type RecentJob, type RegisteredWorker, type WorkerStats } from "../../shared/contract/index.js";
import type { JobOutcome } from "../inference/job-outcome.js";

interface Tally {
  requests: number;
  errors: number;
  readonly recent: RecentJob[];
}

/**
 * Generation speed of a job from its `end` event: the tokens after the first over the time after
 * the first (the wait for the first is TTFT), as the chat pane shows it; null when too short to tell.
 */
export function decodeRate(end: { readonly tokens_out: number; readonly decode_ms: number; readonly ttft_ms: number }): number | null {
  const after = end.decode_ms - end.ttft_ms;
  if (end.tokens_out >= 2 && after > 0) return ((end.tokens_out - 1) * 1000) / after;
  if (end.tokens_out >= 1 && end.decode_ms > 0) return (end.tokens_out * 1000) / end.decode_ms;
  return null;
}

/** The per-worker request figures the UI shows: one owner, fed once per finished request. */
export class WorkerStatsBook {
  private readonly tallies = new Map<string, Tally>();

  /** Counts one finished request on the worker that ran it (one that never reached a worker has none). */
  record(outcome: JobOutcome): void {
    if (outcome.workerId === null) return;
    let tally = this.tallies.get(outcome.workerId);
    if (!tally) {
      tally = { requests: 0, errors: 0, recent: [] };
      this.tallies.set(outcome.workerId, tally);
    }
    tally.requests += 1;
    if (outcome.outcome === "error") tally.errors += 1;
    tally.recent.push({
      ended_unix_ms: outcome.endedAtMs,
      outcome: outcome.outcome,
      tokens_out: outcome.end?.tokens_out ?? 0,
      tokens_per_s: outcome.end ? decodeRate(outcome.end) : null,
      ttft_ms: outcome.end ? outcome.end.ttft_ms : null,
    });
    if (tally.recent.length > RECENT_JOBS) tally.recent.shift();
  }

  /**
   * The figures of the live workers that have any (a job run, running or waiting for its model): a
   * worker left out has none. Those of workers gone from the registry are dropped.
   */
  snapshot(
    workers: readonly RegisteredWorker[],
    running: ReadonlyMap<string, number>,
    waitingPerModel: ReadonlyMap<string, number>,
  ): WorkerStats[] {
    const live = new Set(workers.map((worker) => worker.id));
    for (const id of this.tallies.keys()) if (!live.has(id)) this.tallies.delete(id);
    const busy = workers.filter(
      (worker) => this.tallies.has(worker.id) || (running.get(worker.id) ?? 0) > 0 || (waitingPerModel.get(worker.model_ref) ?? 0) > 0,
    );
    return busy.map((worker) => {
      const tally = this.tallies.get(worker.id);
      return {
        worker_id: worker.id,
        requests: tally?.requests ?? 0,
        errors: tally?.errors ?? 0,
        running: running.get(worker.id) ?? 0,
        queued: waitingPerModel.get(worker.model_ref) ?? 0,
        recent: tally ? [...tally.recent] : [],
      };
    });
  }
}
