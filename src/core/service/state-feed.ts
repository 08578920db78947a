import type { QueenEvent } from "../../shared/contract/index.js";
import type { Disposable } from "../../shared/emitter.js";
import type { Queen } from "../queen.js";

/**
 * Feeds `listener` a snapshot of nodes, workers, worker stats and device figures at once, then a
 * fresh snapshot of a kind after each change of it. Bursts of changes within one tick are sent as
 * one snapshot per kind. With `liveDevices` the hives' device figures are polled while subscribed.
 */
export function subscribeToState(queen: Queen, listener: (event: QueenEvent) => void, liveDevices = true): Disposable {
  const pending = new Set<QueenEvent["type"]>();
  let scheduled: ReturnType<typeof setImmediate> | undefined;
  const flush = (): void => {
    scheduled = undefined;
    const types = [...pending];
    pending.clear();
    try {
      for (const type of types) listener(snapshot(queen, type));
    } catch (error) {
      // The queen is shutting down: its registry closed after the last change was announced.
      if (!(error instanceof TypeError && /not open/.test(error.message))) throw error;
    }
  };
  const schedule = (type: QueenEvent["type"]) => (): void => {
    pending.add(type);
    scheduled ??= setImmediate(flush);
  };
  for (const type of ["nodes", "workers", "worker_stats", "devices"] as const) listener(snapshot(queen, type));
  const { observability } = queen;
  const disposables = [
    queen.beehives.onDidChange(schedule("nodes")),
    queen.workers.onDidChange(schedule("workers")),
    observability.onStatsChange(schedule("worker_stats")),
    observability.figures.onDidChange(schedule("devices")),
    ...(liveDevices ? [observability.watchDevices()] : []),
  ];
  return () => {
    if (scheduled) clearImmediate(scheduled);
    for (const dispose of disposables) dispose();
  };
}

function snapshot(queen: Queen, type: QueenEvent["type"]): QueenEvent {
  switch (type) {
    case "nodes":
      return { type, nodes: queen.beehives.list() };
    case "workers":
      return { type, workers: queen.workers.list() };
    case "worker_stats":
      return { type, stats: queen.observability.workerStats() };
    case "devices":
      return { type, nodes: queen.observability.figures.list() };
  }
}
