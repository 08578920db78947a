import {
  RbeeError,
  type HeartbeatRequest,
  type RegisterWorkerRequest,
  type RegisteredWorker,
  type UpdateWorkerRequest,
  type WorkerState,
} from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";

/** What a registration did: a new worker, a repeat of a known one, or an update of its data. */
export type RegisterOutcome = "created" | "unchanged" | "updated";

const nowUnix = (): number => Math.floor(Date.now() / 1000);

/** The in-memory registry of live workers, keyed by worker id. Rebuilt from the hives after a restart. */
export class WorkerRegistry {
  private readonly workers = new Map<string, RegisteredWorker>();
  /** When each worker was last heard of, in ms (the contract's field is whole seconds). */
  private readonly seenMs = new Map<string, number>();
  private readonly changed = new Emitter<void>();

  constructor(
    private readonly clock: () => number = nowUnix,
    private readonly clockMs: () => number = Date.now,
  ) {}

  /** Fires after every change; read the new state with `list()`. */
  readonly onDidChange = (listener: () => void) => this.changed.on(listener);

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
    const worker: RegisteredWorker = {
      id: request.worker_id,
      url: request.url,
      model_ref: request.model_ref,
      backend: request.backend,
      device: request.device,
      state: request.state ?? existing?.state ?? "idle",
      slots_total: request.slots_total,
      slots_available: request.slots_available,
      vram_bytes: request.vram_bytes ?? null,
      node_name: nodeName,
      last_heartbeat_unix: this.clock(),
    };
    this.workers.set(worker.id, worker);
    this.seenMs.set(worker.id, this.clockMs());
    const outcome: RegisterOutcome = !existing ? "created" : sameData(existing, worker) ? "unchanged" : "updated";
    if (outcome !== "unchanged") this.notify();
    return outcome;
  }

  /** Changes a worker's state and/or free slots; WORKER_NOT_FOUND when unknown. */
  update(request: UpdateWorkerRequest): RegisteredWorker {
    const worker = this.require(request.worker_id);
    const next: RegisteredWorker = {
      ...worker,
      state: request.state ?? worker.state,
      slots_available: clampSlots(request.slots_available ?? worker.slots_available, worker.slots_total),
      last_heartbeat_unix: this.clock(),
    };
    this.workers.set(next.id, next);
    this.seenMs.set(next.id, this.clockMs());
    if (next.state !== worker.state || next.slots_available !== worker.slots_available) this.notify();
    return next;
  }

  /** Records a heartbeat; WORKER_NOT_FOUND tells the worker to register again. */
  heartbeat(request: HeartbeatRequest): RegisteredWorker {
    const worker = this.require(request.worker_id);
    const slots = clampSlots(request.slots_available ?? worker.slots_available, worker.slots_total);
    const next: RegisteredWorker = { ...worker, slots_available: slots, last_heartbeat_unix: this.clock() };
    this.workers.set(next.id, next);
    this.seenMs.set(next.id, this.clockMs());
    if (slots !== worker.slots_available) this.notify();
    return next;
  }

  /**
   * The queen's own booking of a worker's slots when it routes work there; unlike `update`, this
   * is not news from the worker, so it does not count as a sign of life.
   */
  book(workerId: string, state: WorkerState, slotsAvailable: number): void {
    const worker = this.workers.get(workerId);
    if (!worker) return;
    const slots = clampSlots(slotsAvailable, worker.slots_total);
    if (worker.state === state && worker.slots_available === slots) return;
    this.workers.set(workerId, { ...worker, state, slots_available: slots });
    this.notify();
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

  remove(workerId: string): boolean {
    this.seenMs.delete(workerId);
    const removed = this.workers.delete(workerId);
    if (removed) this.notify();
    return removed;
  }

  count(): number {
    return this.workers.size;
  }

  private notify(): void {
    this.changed.fire();
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
    a.node_name === b.node_name
  );
}
