import {
  RbeeError,
  type HeartbeatRequest,
  type RegisterWorkerRequest,
  type RegisteredWorker,
  type UpdateWorkerRequest,
  type WorkerShard,
  type WorkerState,
} from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import type { ItemChange } from "./item-change.js";
import { publishedSlots, type SlotLedger } from "./worker-slots.js";

/** What a registration did: a new worker, a repeat of a known one, or an update of its data. */
export type RegisterOutcome = "created" | "unchanged" | "updated";

const nowUnix = (): number => Math.floor(Date.now() / 1000);

/**
 * The in-memory registry of live workers, keyed by worker id. Rebuilt from the hives after a restart.
 * The one owner of each worker's published state and free slots: the worker's reports and the
 * queen's bookings are its inputs, and `publishedSlots` derives what `list()` shows.
 */
export class WorkerRegistry {
  private readonly workers = new Map<string, RegisteredWorker>();
  private readonly ledgers = new Map<string, SlotLedger>();
  /** When each worker was last heard of, in ms (the contract's field is whole seconds). */
  private readonly seenMs = new Map<string, number>();
  private readonly changed = new Emitter<ItemChange<RegisteredWorker>>();

  constructor(
    private readonly clock: () => number = nowUnix,
    private readonly clockMs: () => number = Date.now,
  ) {}

  /** Fires after every change with the worker it changed; read the whole new state with `list()`. */
  readonly onDidChange = (listener: (change: ItemChange<RegisteredWorker>) => void) => this.changed.on(listener);

  /**
   * Registers a worker's ready callback. The same id with the same url is a repeat (its data is
   * refreshed); the same id at another url is a different worker: WORKER_CONFLICT.
   */
  register(request: RegisterWorkerRequest, nodeName: string): RegisterOutcome {
    const existing = this.workers.get(request.worker_id);
    if (existing && existing.url !== request.url) {
      throw new RbeeError(
        "WORKER_CONFLICT",
        `Worker "${request.worker_id}" is already registered at ${existing.url}, not ${request.url}`,
      );
    }
    const ledger = this.ledgers.get(request.worker_id);
    const worker = this.publish(
      {
        id: request.worker_id,
        url: request.url,
        model_ref: request.model_ref,
        backend: request.backend,
        device: request.device,
        state: "idle",
        slots_total: request.slots_total,
        slots_available: request.slots_available,
        vram_bytes: request.vram_bytes ?? null,
        ...(request.context_length !== undefined ? { context_length: request.context_length } : {}),
        // A repeated registration (a hive's relay) knows nothing of the shards: they stay as the spawn set them.
        ...((request.engine ?? existing?.engine) !== undefined ? { engine: request.engine ?? existing?.engine } : {}),
        ...(existing?.shards !== undefined ? { shards: existing.shards } : {}),
        node_name: nodeName,
        last_heartbeat_unix: this.clock(),
      },
      {
        total: request.slots_total,
        reported: {
          state: request.state ?? ledger?.reported.state ?? "idle",
          slotsAvailable: request.slots_available,
        },
        // The queen's own jobs there outlive a repeated registration.
        booked: ledger?.booked ?? 0,
        freedSinceReport: 0,
      },
    );
    this.seenMs.set(worker.id, this.clockMs());
    const outcome: RegisterOutcome = !existing ? "created" : sameData(existing, worker) ? "unchanged" : "updated";
    if (outcome !== "unchanged") this.notify("upsert", worker);
    return outcome;
  }

  /** The worker's report of its state and/or free slots; WORKER_NOT_FOUND when unknown. */
  update(request: UpdateWorkerRequest): RegisteredWorker {
    return this.report(request.worker_id, request.state, request.slots_available);
  }

  /** Records a heartbeat (with the free slots it reports); WORKER_NOT_FOUND tells the worker to register again. */
  heartbeat(request: HeartbeatRequest): RegisteredWorker {
    return this.report(request.worker_id, undefined, request.slots_available);
  }

  /**
   * Books one free slot for a job the queen places there, in the same tick as the decision, so
   * that no other request takes the same slot. Not news from the worker: no sign of life.
   * The worker as published after the booking, or undefined when it had no free slot.
   */
  book(workerId: string): RegisteredWorker | undefined {
    const worker = this.workers.get(workerId);
    const ledger = this.ledgers.get(workerId);
    if (!worker || !ledger || worker.state === "loading" || worker.slots_available === 0) return undefined;
    return this.republish(worker, { ...ledger, booked: ledger.booked + 1, freedSinceReport: ledger.freedSinceReport - 1 });
  }

  /** Ends one booking (the job ended); nothing when the worker is gone. */
  release(workerId: string): void {
    const worker = this.workers.get(workerId);
    const ledger = this.ledgers.get(workerId);
    if (!worker || !ledger || ledger.booked === 0) return;
    this.republish(worker, { ...ledger, booked: ledger.booked - 1, freedSinceReport: ledger.freedSinceReport + 1 });
  }

  /** Sets what a split worker's shards hold (its spawn, once it is ready); WORKER_NOT_FOUND when unknown. */
  setShards(workerId: string, shards: readonly WorkerShard[]): RegisteredWorker {
    const worker = this.require(workerId);
    const next: RegisteredWorker = { ...worker, shards: shards.map((shard) => ({ ...shard })) };
    this.workers.set(workerId, next);
    if (JSON.stringify(worker.shards) !== JSON.stringify(next.shards)) this.notify("upsert", next);
    return next;
  }

  get(workerId: string): RegisteredWorker | undefined {
    return this.workers.get(workerId);
  }

  /** The worker, or WORKER_NOT_FOUND. */
  require(workerId: string): RegisteredWorker {
    const worker = this.workers.get(workerId);
    if (!worker) throw new RbeeError("WORKER_NOT_FOUND", `No worker with id "${workerId}"`);
    return worker;
  }

  list(): RegisteredWorker[] {
    return [...this.workers.values()];
  }

  /** Workers on one node. */
  onNode(nodeName: string): RegisteredWorker[] {
    return this.list().filter((worker) => worker.node_name === nodeName);
  }

  /** Milliseconds since the worker last registered, updated or sent a heartbeat. */
  silentForMs(workerId: string): number {
    const seen = this.seenMs.get(workerId);
    return seen === undefined ? Number.POSITIVE_INFINITY : this.clockMs() - seen;
  }

  /** Forgets a worker and its bookings; false when there was none. Call through WorkerLifecycle.retire. */
  remove(workerId: string): boolean {
    const worker = this.workers.get(workerId);
    this.seenMs.delete(workerId);
    this.ledgers.delete(workerId);
    if (!worker) return false;
    this.workers.delete(workerId);
    this.notify("remove", worker);
    return true;
  }

  count(): number {
    return this.workers.size;
  }

  private report(workerId: string, state: WorkerState | undefined, slotsAvailable: number | undefined): RegisteredWorker {
    const worker = this.require(workerId);
    const ledger = this.ledgers.get(workerId)!;
    const next = this.republish(
      { ...worker, last_heartbeat_unix: this.clock() },
      {
        ...ledger,
        reported: {
          state: state ?? ledger.reported.state,
          slotsAvailable: clampSlots(slotsAvailable ?? ledger.reported.slotsAvailable, ledger.total),
        },
        freedSinceReport: slotsAvailable === undefined ? ledger.freedSinceReport : 0,
      },
    );
    this.seenMs.set(workerId, this.clockMs());
    return next;
  }

  /** Stores the ledger and the worker as published from it; notifies when the published slots changed. */
  private republish(worker: RegisteredWorker, ledger: SlotLedger): RegisteredWorker {
    const before = this.workers.get(worker.id);
    const next = this.publish(worker, ledger);
    if (before?.state !== next.state || before.slots_available !== next.slots_available) this.notify("upsert", next);
    return next;
  }

  private publish(worker: RegisteredWorker, ledger: SlotLedger): RegisteredWorker {
    const next: RegisteredWorker = { ...worker, ...publishedSlots(ledger) };
    this.ledgers.set(worker.id, ledger);
    this.workers.set(worker.id, next);
    return next;
  }

  private notify(op: ItemChange<RegisteredWorker>["op"], worker: RegisteredWorker): void {
    this.changed.fire({ op, item: worker });
  }
}

function clampSlots(slots: number, total: number): number {
  return Math.min(Math.max(0, slots), total);
}

function sameData(a: RegisteredWorker, b: RegisteredWorker): boolean {
  return (
    a.url === b.url &&
    a.model_ref === b.model_ref &&
    a.backend === b.backend &&
    a.device === b.device &&
    a.state === b.state &&
    a.slots_total === b.slots_total &&
    a.slots_available === b.slots_available &&
    a.vram_bytes === b.vram_bytes &&
    a.engine === b.engine &&
    a.node_name === b.node_name
  );
}
