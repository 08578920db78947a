import type { WorkerStats } from "../../shared/contract/fleet-stats.js";

/** What the Workers view says of a worker's recent jobs: their mean speed and TTFT, and the speeds in order for a sparkline. */
export interface WorkerActivity {
  readonly requests: number;
  readonly errors: number;
  readonly tokensPerSecond: number | null;
  readonly ttftMs: number | null;
  readonly speeds: readonly (number | null)[];
  readonly running: number;
  readonly queued: number;
}

function mean(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : known.reduce((sum, value) => sum + value, 0) / known.length;
}

/** Sums up one worker's stats (pure); no stats yet is a worker that ran nothing. */
export function workerActivity(stats: WorkerStats | undefined): WorkerActivity {
  const recent = stats?.recent ?? [];
  return {
    requests: stats?.requests ?? 0,
    errors: stats?.errors ?? 0,
    tokensPerSecond: mean(recent.map((job) => job.tokens_per_s)),
    ttftMs: mean(recent.map((job) => job.ttft_ms)),
    speeds: recent.map((job) => job.tokens_per_s),
    running: stats?.running ?? 0,
    queued: stats?.queued ?? 0,
  };
}
