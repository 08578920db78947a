import type { QueenEvent, QueenSnapshot } from "../../shared/contract/index.js";
import type { Disposable } from "../../shared/emitter.js";
import type { Queen } from "../queen.js";

/** The running downloads are sent at most this often (each byte count is a change). */
export const DOWNLOADS_INTERVAL_MS = 250;

/**
 * Feeds `listener` a snapshot of nodes, workers, running downloads, worker stats, device figures
 * and recent worker exits at once, then a fresh snapshot of a kind after each change of it. Bursts
 * of changes within one tick are sent as one snapshot per kind; downloads at most every
 * DOWNLOADS_INTERVAL_MS, the last state (an empty list once they ended) always sent. With
 * `liveDevices` the hives' device figures are polled while subscribed.
 */
export function subscribeToState(queen: Queen, listener: (event: QueenEvent) => void, liveDevices = true): Disposable {
  const pending = new Set<QueenSnapshot["type"]>();
  let scheduled: ReturnType<typeof setImmediate> | undefined;
  let downloadsTimer: ReturnType<typeof setTimeout> | undefined;
  let downloadsSentAt = 0;
  const send = (type: QueenSnapshot["type"]): void => {
    try {
      listener(snapshot(queen, type));
    } catch (error) {
      // The queen is shutting down: its registry closed after the last change was announced.
      if (!(error instanceof TypeError && /not open/.test(error.message))) throw error;
    }
  };
  const flush = (): void => {
    scheduled = undefined;
    const types = [...pending];
    pending.clear();
    for (const type of types) send(type);
  };
  const schedule = (type: QueenSnapshot["type"]) => (): void => {
    pending.add(type);
    scheduled ??= setImmediate(flush);
  };
  const downloadsChanged = (): void => {
    if (downloadsTimer) return;
    const wait = Math.max(0, downloadsSentAt + DOWNLOADS_INTERVAL_MS - Date.now());
    downloadsTimer = setTimeout(() => {
      downloadsTimer = undefined;
      downloadsSentAt = Date.now();
      send("downloads");
    }, wait);
  };
  for (const type of ["nodes", "workers", "downloads", "worker_stats", "devices", "exits"] as const) listener(snapshot(queen, type));
  downloadsSentAt = Date.now();
  const { observability } = queen;
  const disposables = [
    queen.beehives.onDidChange(schedule("nodes")),
    queen.workers.onDidChange(schedule("workers")),
    queen.fleet.transfers.onDidChange(downloadsChanged),
    queen.exits.onDidChange(schedule("exits")),
    observability.onStatsChange(schedule("worker_stats")),
    observability.figures.onDidChange(schedule("devices")),
    ...(liveDevices ? [observability.watchDevices()] : []),
  ];
  return () => {
    if (scheduled) clearImmediate(scheduled);
    if (downloadsTimer) clearTimeout(downloadsTimer);
    for (const dispose of disposables) dispose();
  };
}

function snapshot(queen: Queen, type: QueenSnapshot["type"]): QueenSnapshot {
  switch (type) {
    case "nodes":
      return { type, nodes: queen.beehives.list() };
    case "workers":
      return { type, workers: queen.workers.list() };
    case "downloads":
      return { type, downloads: queen.fleet.transfers.list() };
    case "worker_stats":
      return { type, stats: queen.observability.workerStats() };
    case "devices":
      return { type, nodes: queen.observability.figures.list() };
    case "exits":
      return { type, exits: [...queen.exits.list()] };
  }
}
