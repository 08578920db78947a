import {
  transferKey,
  type Beehive,
  type DeltaOp,
  type ModelTransfer,
  type QueenDelta,
  type QueenEvent,
  type QueenSnapshot,
  type RegisteredWorker,
} from "../../shared/contract/index.js";
import type { Disposable } from "../../shared/emitter.js";
import type { ItemChange } from "../registry/item-change.js";
import type { Queen } from "../queen.js";

/** The running downloads are sent at most this often (each byte count is a change). */
export const DOWNLOADS_INTERVAL_MS = 250;

const SNAPSHOT_TYPES = ["nodes", "workers", "downloads", "worker_stats", "devices", "exits"] as const satisfies readonly QueenSnapshot["type"][];

export interface StateFeedOptions {
  /** After the first snapshots, QueenDelta changes of single workers, nodes and downloads instead of whole lists. */
  readonly deltas?: boolean | undefined;
  /** Keep the hives' device figures live while subscribed; default true. */
  readonly liveDevices?: boolean | undefined;
  /**
   * For a reader that can fall behind (an HTTP stream), asked after each event: undefined while it
   * keeps up, else a promise that settles once it has caught up. Meanwhile the feed keeps nothing
   * for it but the fact that something changed, and then sends it fresh snapshots of every kind:
   * a slow reader costs the queen no backlog. Not asked while the snapshots of every kind are
   * written (on connect and after catching up): those always go out whole.
   */
  readonly behind?: (() => Promise<unknown> | undefined) | undefined;
  /**
   * Called once the snapshots of every kind have been written (on connect and after catching up),
   * so that the reader can measure how far behind it is from there: for a large fleet the
   * snapshots alone can exceed what a reader may have waiting, and must not count as falling behind.
   */
  readonly snapshotsWritten?: (() => void) | undefined;
}

/**
 * Feeds `listener` a snapshot of nodes, workers, running downloads, worker stats, device figures
 * and recent worker exits at once, then a fresh snapshot of a kind after each change of it (with
 * `deltas`: one delta per changed worker, node or download instead of their lists). Bursts of
 * changes within one tick are sent once per kind (per item with `deltas`, as it is at the end of
 * the tick); downloads at most every DOWNLOADS_INTERVAL_MS, their last state always sent. With
 * `liveDevices` the hives' device figures are polled while subscribed.
 */
export function subscribeToState(queen: Queen, listener: (event: QueenEvent) => void, options: StateFeedOptions = {}): Disposable {
  const { deltas = false, liveDevices = true, behind, snapshotsWritten } = options;
  const pending = new Set<QueenSnapshot["type"]>();
  const items = changedItems(queen);
  let scheduled: ReturnType<typeof setImmediate> | undefined;
  let downloadsTimer: ReturnType<typeof setTimeout> | undefined;
  let downloadsSentAt = 0;
  // While the reader catches up nothing is kept for it; `missed` says whether it has anything to catch up on.
  let catchingUp = false;
  let missed = false;
  let disposed = false;

  const emit = (event: QueenEvent | undefined, check = true): void => {
    if (!event) return;
    if (catchingUp) {
      missed = true;
      return;
    }
    listener(event);
    if (!check) return;
    const caughtUp = behind?.();
    if (!caughtUp) return;
    catchingUp = true;
    missed = dropPending();
    void caughtUp.then(resume, resume);
  };
  /** Forgets the changes not sent yet; true when there were any. */
  const dropPending = (): boolean => {
    const dropped = pending.size > 0 || downloadsTimer !== undefined || Object.values(items).some((kind) => kind.size > 0);
    pending.clear();
    for (const kind of Object.values(items)) kind.clear();
    clearTimeout(downloadsTimer);
    downloadsTimer = undefined;
    return dropped;
  };
  const sendAll = (): void => {
    for (const type of SNAPSHOT_TYPES) emit(whileOpen(() => snapshot(queen, type)), false);
    downloadsSentAt = Date.now();
    snapshotsWritten?.();
  };
  const resume = (): void => {
    if (disposed) return;
    catchingUp = false;
    if (!missed) return;
    missed = false;
    sendAll();
  };
  const flush = (): void => {
    scheduled = undefined;
    const types = [...pending];
    pending.clear();
    for (const type of types) emit(whileOpen(() => snapshot(queen, type)));
    for (const kind of [items.nodes, items.workers]) for (const delta of whileOpen(() => kind.take()) ?? []) emit(delta);
  };
  // A change to send: noted for the next flush, or only as missed while the reader catches up.
  const noted = (note: () => void): void => {
    if (catchingUp) missed = true;
    else note();
  };
  const schedule = (type: QueenSnapshot["type"]) => (): void =>
    noted(() => {
      pending.add(type);
      scheduled ??= setImmediate(flush);
    });
  const collect =
    <T>(kind: ChangedItems<T>) =>
    (change: ItemChange<T>): void =>
      noted(() => {
        kind.add(change);
        scheduled ??= setImmediate(flush);
      });
  const downloadsChanged = (change: ItemChange<ModelTransfer>): void =>
    noted(() => {
      if (deltas) items.downloads.add(change);
      if (downloadsTimer) return;
      const wait = Math.max(0, downloadsSentAt + DOWNLOADS_INTERVAL_MS - Date.now());
      downloadsTimer = setTimeout(() => {
        downloadsTimer = undefined;
        downloadsSentAt = Date.now();
        if (!deltas) emit(whileOpen(() => snapshot(queen, "downloads")));
        else for (const delta of items.downloads.take()) emit(delta);
      }, wait);
    });

  sendAll();
  const { observability } = queen;
  const disposables = [
    queen.beehives.onDidChange(deltas ? collect(items.nodes) : schedule("nodes")),
    queen.workers.onDidChange(deltas ? collect(items.workers) : schedule("workers")),
    queen.fleet.transfers.onDidChange(downloadsChanged),
    queen.exits.onDidChange(schedule("exits")),
    observability.onStatsChange(schedule("worker_stats")),
    observability.figures.onDidChange(schedule("devices")),
    ...(liveDevices ? [observability.watchDevices()] : []),
  ];
  return () => {
    disposed = true;
    if (scheduled) clearImmediate(scheduled);
    clearTimeout(downloadsTimer);
    for (const dispose of disposables) dispose();
  };
}

/** What reads the registry, or undefined when the queen is shutting down (its registry closed after the last change was announced). */
function whileOpen<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof TypeError && /not open/.test(error.message)) return undefined;
    throw error;
  }
}

interface ItemSource<T> {
  key(item: T): string;
  /** The item with this key now; undefined once it is gone. */
  current(key: string): T | undefined;
  delta(op: DeltaOp, item: T): QueenDelta;
}

/** One delta kind's items changed since it was last taken, by key: a burst of changes to one item is one delta. */
class ChangedItems<T> {
  private readonly changed = new Map<string, T>();

  constructor(private readonly source: ItemSource<T>) {}

  add(change: ItemChange<T>): void {
    this.changed.set(this.source.key(change.item), change.item);
  }

  get size(): number {
    return this.changed.size;
  }

  clear(): void {
    this.changed.clear();
  }

  /** One delta per changed item: an upsert of it as it is now, or its removal (as it was last) once it is gone. Empties the set. */
  take(): QueenDelta[] {
    const deltas: QueenDelta[] = [];
    for (const [key, last] of this.changed) {
      const now = this.source.current(key);
      deltas.push(now ? this.source.delta("upsert", now) : this.source.delta("remove", last));
    }
    this.changed.clear();
    return deltas;
  }
}

function changedItems(queen: Queen) {
  return {
    nodes: new ChangedItems<Beehive>({
      key: (node) => node.node_name,
      current: (name) => queen.beehives.get(name),
      delta: (op, node) => ({ type: "node", op, node }),
    }),
    workers: new ChangedItems<RegisteredWorker>({
      key: (worker) => worker.id,
      current: (id) => queen.workers.get(id),
      delta: (op, worker) => ({ type: "worker", op, worker }),
    }),
    downloads: new ChangedItems<ModelTransfer>({
      key: transferKey,
      current: (key) => queen.fleet.transfers.get(key),
      delta: (op, download) => ({ type: "download", op, download }),
    }),
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
