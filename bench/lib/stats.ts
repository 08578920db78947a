/** Median and tail of a set of samples. */
export interface Summary {
  readonly median: number;
  /** The 99th percentile: the slow tail of a latency, or (see `summarizeRate`) the low tail of a rate. */
  readonly p99: number;
  readonly n: number;
}

/** The q-quantile (0..1) of `values` by linear interpolation between the closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] ?? Number.NaN;
  const high = sorted[upper] ?? low;
  return low + (high - low) * (position - lower);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median and p99 of latencies (higher is worse). */
export function summarize(values: readonly number[]): Summary {
  return { median: quantile(values, 0.5), p99: quantile(values, 0.99), n: values.length };
}

/** Median and 1st percentile of rates (lower is worse), so that `p99` is always the bad tail. */
export function summarizeRate(values: readonly number[]): Summary {
  return { median: quantile(values, 0.5), p99: quantile(values, 0.01), n: values.length };
}

/** Rounds for display and JSON: 3 significant decimals below 10, fewer above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
