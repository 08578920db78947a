import type { RegisteredWorker } from "../../shared/contract/workers.js";

type Placed = Pick<RegisteredWorker, "node_name" | "backend" | "device" | "vram_bytes">;

/** One device of one node, as the VRAM totals are keyed. */
export const deviceKey = (worker: Placed): string => `${worker.node_name}\u0000${worker.backend}\u0000${worker.device}`;

/** The VRAM the workers hold on each device that holds any, by deviceKey. */
export function vramTotals(workers: Iterable<Placed>): ReadonlyMap<string, number> {
  const totals = new Map<string, number>();
  for (const worker of workers) add(totals, worker, 1);
  return totals;
}

/**
 * The totals after one worker changed from `before` to `after` (either missing: added or
 * removed): the same map when its VRAM and device did not change, which a heartbeat never does,
 * so that the Workers table's rows are not told of a new total on every beat.
 */
export function vramAfter(totals: ReadonlyMap<string, number>, before: Placed | undefined, after: Placed | undefined): ReadonlyMap<string, number> {
  const held = (worker: Placed | undefined): number => worker?.vram_bytes ?? 0;
  if (held(before) === 0 && held(after) === 0) return totals;
  if (before && after && held(before) === held(after) && deviceKey(before) === deviceKey(after)) return totals;
  const next = new Map(totals);
  if (before) add(next, before, -1);
  if (after) add(next, after, 1);
  return next;
}

function add(totals: Map<string, number>, worker: Placed, sign: 1 | -1): void {
  const bytes = worker.vram_bytes ?? 0;
  if (bytes === 0) return;
  const key = deviceKey(worker);
  const sum = (totals.get(key) ?? 0) + sign * bytes;
  if (sum === 0) totals.delete(key);
  else totals.set(key, sum);
}
