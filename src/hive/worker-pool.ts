import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { z } from "zod";
import {
  type Backend,
  type Engine,
  type HeartbeatRequest,
  HiveSpawnRequest,
  type HiveSpawnResponse,
  type HiveSpawnStreamEvent,
  type HiveWorker,
  RbeeError,
  type RegisterWorkerRequest,
  type UpdateWorkerRequest,
  type WorkerExitReport,
  type WorkerState,
  EXIT_TAIL_LINES,
  parseOrThrow,
} from "../shared/contract/index.js";
import { newSecret, secretsEqual } from "../node-common/secrets.js";
import type { NodeDevices } from "./devices.js";
import type { EngineCatalog } from "./engines.js";
import type { LlamaBuilder } from "./llama-build.js";
import { lastLines } from "./logs/last-lines.js";
import type { WorkerLogs } from "./logs/worker-logs.js";
import type { ModelStore, ProvisionedModel } from "./models/model-store.js";
import type { WorkerPidFile } from "./orphan-reaper.js";
import type { QueenRelay, RelayedWorker } from "./queen-relay.js";
import { processRssBytes } from "./memory-limit.js";
import { readGgufShape } from "./models/model-footprint.js";
import { splitShares } from "./split-share.js";
import { WorkerChild } from "./worker-child.js";

/** What the pool needs from the daemon around it. */
export interface WorkerPoolOptions {
  readonly workerBin: string;
  /** The hive's own base URL, the workers' callback address. */
  readonly hiveUrl: () => string;
  /** Where each worker's output goes (and stays after it stops). */
  readonly logs: WorkerLogs;
  readonly models: ModelStore;
  readonly relay: QueenRelay;
  readonly devices: () => Promise<NodeDevices>;
  readonly pidFile: WorkerPidFile;
  readonly log: (line: string) => void;
  readonly nodeName: () => string | undefined;
  readonly workerHeartbeatMs?: number;
  /** The engines of this node (llama-server found or buildable), and the builder of llama-server. */
  readonly engines: EngineCatalog;
  readonly builder: LlamaBuilder;
  /** Time a worker gets between SIGTERM and SIGKILL. */
  readonly stopGraceMs?: number;
  /** A worker still loading after this long is stopped. */
  readonly loadTimeoutMs?: number;
  readonly defaultTtlS?: number;
}

/** A spawn request that passed every check that needs no download; its worker id is reserved. */
export interface PreparedSpawn {
  readonly id: string;
  readonly request: z.output<typeof HiveSpawnRequest>;
}

/** A worker that runs and is loading its model; `ready` settles when it registers or exits. */
export interface LaunchedWorker {
  readonly response: HiveSpawnResponse;
  readonly ready: Promise<HiveWorker>;
}

const DEFAULT_TTL_S = 600;
/** Room for the context and runtime beyond the weights when checking free memory. */
const MEMORY_OVERHEAD = 1.1;

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** One worker this hive owns. */
class ManagedWorker implements RelayedWorker {
  url = "";
  state: WorkerState = "loading";
  slotsTotal: number;
  slotsAvailable: number;
  vramBytes: number | undefined;
  contextLength: number | undefined;
  registered = false;
  relayed = false;
  stopping = false;
  child: WorkerChild | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  loadTimer: NodeJS.Timeout | undefined;
  readonly token = newSecret();
  readonly readyWaiters: { resolve: (worker: HiveWorker) => void; reject: (error: RbeeError) => void }[] = [];

  constructor(
    readonly id: string,
    readonly modelRef: string,
    readonly backend: Backend,
    readonly device: number,
    readonly ttlMs: number,
    readonly modelBytes: number,
    public callbackToken: string | undefined,
    slots: number,
    /** The model file it loads: a removal of that file waits until the worker is gone. */
    readonly modelPath: string,
    readonly engine: Engine | undefined,
  ) {
    this.slotsTotal = slots;
    this.slotsAvailable = slots;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get idle(): boolean {
    return this.registered && this.state !== "busy" && this.slotsAvailable >= this.slotsTotal;
  }

  view(): HiveWorker {
    return {
      id: this.id,
      pid: this.pid,
      url: this.url,
      model_ref: this.modelRef,
      backend: this.backend,
      device: this.device,
      state: this.state,
      slots_total: this.slotsTotal,
      slots_available: this.slotsAvailable,
      ...(this.engine !== undefined ? { engine: this.engine } : {}),
      token: this.token,
    };
  }

  registration(): RegisterWorkerRequest {
    return {
      worker_id: this.id,
      url: this.url,
      model_ref: this.modelRef,
      backend: this.backend,
      device: this.device,
      slots_total: this.slotsTotal,
      slots_available: Math.min(this.slotsAvailable, this.slotsTotal),
      state: this.state,
      ...(this.engine !== undefined ? { engine: this.engine } : {}),
      ...(this.vramBytes !== undefined ? { vram_bytes: this.vramBytes } : {}),
      ...(this.contextLength !== undefined ? { context_length: this.contextLength } : {}),
    };
  }

  status(): { state: WorkerState; slots_available: number } {
    return { state: this.state, slots_available: this.slotsAvailable };
  }
}

/**
 * The workers of this hive: spawns them (provisioning the model and checking that it fits first),
 * authenticates and relays their callbacks, reaps the ones that exit, stops idle ones after their
 * TTL and stops them all on shutdown.
 */
export class WorkerPool {
  private readonly workers = new Map<string, ManagedWorker>();
  /** Ids taken by spawns still provisioning their model. */
  private readonly reserved = new Set<string>();
  /** Worker processes started but not listening yet, which a shutdown must wait for. */
  private readonly starting = new Set<Promise<unknown>>();
  private closing = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** The workers that are running (listening); loading ones included. */
  list(): HiveWorker[] {
    return [...this.workers.values()].filter((worker) => worker.url !== "").map((worker) => worker.view());
  }

  /** Bytes of RAM the workers take now: their resident size where readable, else their model's size. */
  memoryInUse(): number {
    let total = 0;
    for (const worker of this.workers.values()) if (worker.child) total += processRssBytes(worker.pid) ?? worker.modelBytes;
    return total;
  }

  /** The workers (loading or running) that have the model file at `path` open. */
  usersOf(path: string): string[] {
    const wanted = resolve(path);
    return [...this.workers.values()].filter((worker) => worker.modelPath === wanted).map((worker) => worker.id);
  }

  /**
   * Validates a spawn body and runs the checks that need no download: the model reference, the
   * worker id (409 when taken) and the backend. Reserves the id; `launch` takes it over.
   */
  async prepare(body: unknown): Promise<PreparedSpawn> {
    if (this.closing) throw new RbeeError("NO_CAPACITY", "The hive is stopping");
    const request = parseOrThrow(HiveSpawnRequest, body, "spawn request");
    if (!existsSync(this.options.workerBin)) {
      throw new RbeeError("WORKER_FAILED", `The worker program is missing at ${this.options.workerBin}: run npm run build:node, or pass --worker-bin`);
    }
    this.options.models.parse(request.model_ref);
    if (request.engine !== "llama-server") {
      const split = (["rpc", "tensor_split", "gpu_layers"] as const).filter((field) => request[field] !== undefined);
      if (split.length > 0) {
        throw new RbeeError(
          "INVALID_REQUEST",
          `${split.join(", ")} need engine "llama-server" (node-llama-cpp runs a model on one node)`,
          split.map((field) => ({ field, message: 'needs engine "llama-server"' })),
        );
      }
    }
    const id = request.worker_id ?? `w-${randomBytes(6).toString("hex")}`;
    if (this.workers.has(id) || this.reserved.has(id)) {
      throw new RbeeError("WORKER_CONFLICT", `A worker with id '${id}' already exists on this node`);
    }
    this.reserved.add(id);
    try {
      await this.checkBackend(request.backend, request.device);
    } catch (error) {
      this.reserved.delete(id);
      throw error;
    }
    return { id, request };
  }

  private async checkBackend(backend: Backend, device: number): Promise<void> {
    const devices = await this.options.devices();
    if (!devices.backends.includes(backend)) {
      throw new RbeeError(
        "BACKEND_UNAVAILABLE",
        `The ${backend} backend is not available on this node (it has: ${devices.backends.join(", ")})`,
      );
    }
    const count = devices.devices[backend] ?? 0;
    if (device >= count) {
      throw new RbeeError(
        "BACKEND_UNAVAILABLE",
        `There is no ${backend} device ${device} on this node (it has ${count}: ${backend === "cpu" ? "0" : `0-${count - 1}`})`,
      );
    }
  }

  /**
   * Provisions the model, checks that it fits, starts the worker and answers once it listens.
   * `report` receives the stream's events up to `spawned`; wait on `ready` for the rest.
   */
  async launch(prepared: PreparedSpawn, report: (event: HiveSpawnStreamEvent) => void, signal?: AbortSignal): Promise<LaunchedWorker> {
    const { id, request } = prepared;
    let worker: ManagedWorker | undefined;
    // The queen gave up on this spawn (its user pressed Stop): the download goes on for whoever
    // asks next (a later spawn joins or resumes it), but no worker is started for nobody.
    const cancelled = (): RbeeError => {
      this.options.log(`spawn of ${id} cancelled by the queen; ${request.model_ref} stays on disk`);
      return new RbeeError("WORKER_FAILED", `The spawn of ${id} was cancelled`);
    };
    try {
      // The download and a build of llama-server on first use run side by side.
      const [model, llamaServer] = await Promise.all([
        this.options.models.provision(request.model_ref, (progress) =>
          report({ type: "progress", stage: "download", message: `downloading ${request.model_ref}`, ...progress }),
        ),
        request.engine === "llama-server" ? this.llamaServer(request.backend, report, signal) : Promise.resolve(undefined),
      ]);
      if (this.closing) throw new RbeeError("NO_CAPACITY", "The hive is stopping");
      if (signal?.aborted) throw cancelled();
      const localBytes = await this.checkCapacity(model, request);

      worker = new ManagedWorker(
        id,
        request.model_ref,
        request.backend,
        request.device,
        (request.ttl_s ?? this.options.defaultTtlS ?? DEFAULT_TTL_S) * 1000,
        localBytes,
        request.callback_token,
        request.slots ?? 1,
        resolve(model.path),
        request.engine,
      );
      this.workers.set(id, worker);
      this.reserved.delete(id);
      const split = request.rpc ? `, split over ${request.rpc.length} rpc-server${request.rpc.length === 1 ? "" : "s"}` : "";
      report({ type: "progress", stage: "spawn", message: `starting llm-worker-rbee ${id} (${request.engine ?? "node-llama-cpp"}, ${request.backend} ${request.device}${split})` });
      const nodeName = this.options.nodeName();
      const workerLog = this.options.logs.open(id);
      const starting = WorkerChild.start({
        workerBin: this.options.workerBin,
        workerId: id,
        modelPath: model.path,
        modelRef: request.model_ref,
        backend: request.backend,
        device: request.device,
        ...(request.slots !== undefined ? { slots: request.slots } : {}),
        ...(request.ctx !== undefined ? { ctx: request.ctx } : {}),
        ...(request.threads !== undefined ? { threads: request.threads } : {}),
        ...(this.options.workerHeartbeatMs !== undefined ? { heartbeatMs: this.options.workerHeartbeatMs } : {}),
        ...(nodeName ? { nodeName } : {}),
        callbackUrl: this.options.hiveUrl(),
        token: worker.token,
        log: workerLog,
        ...(request.engine !== undefined ? { engine: request.engine } : {}),
        ...(llamaServer !== undefined ? { llamaServer } : {}),
        ...(request.rpc !== undefined ? { rpc: request.rpc } : {}),
        ...(request.tensor_split !== undefined ? { tensorSplit: request.tensor_split } : {}),
        ...(request.gpu_layers !== undefined ? { gpuLayers: request.gpu_layers } : {}),
      });
      this.starting.add(starting);
      const { child, url } = await starting
        .catch((error: unknown) => {
          // A worker that exited closes its log itself (with its exit line); one that never ran does not.
          setTimeout(() => workerLog.close(), 1000).unref();
          throw error instanceof RbeeError ? error : new RbeeError("WORKER_FAILED", `Cannot start llm-worker-rbee: ${String(error)}`);
        })
        .finally(() => this.starting.delete(starting));
      this.adopt(worker, child, url);
      if (this.closing) {
        void this.stopWorker(worker);
        throw new RbeeError("NO_CAPACITY", "The hive is stopping");
      }
      if (signal?.aborted) {
        void this.stopWorker(worker);
        throw cancelled();
      }
      const response: HiveSpawnResponse = { worker_id: id, url, pid: child.pid, state: "loading", token: worker.token };
      report({ type: "spawned", ...response });
      const ready = new Promise<HiveWorker>((resolve, reject) => worker?.readyWaiters.push({ resolve, reject }));
      return { response, ready };
    } catch (error) {
      this.reserved.delete(id);
      if (worker && !worker.child) this.workers.delete(id);
      throw error;
    }
  }

  /**
   * The llama-server program for `backend`: found, or built first (its progress in the spawn
   * stream, stage `build`); ENGINE_UNAVAILABLE when this node can neither find nor build it.
   */
  private async llamaServer(backend: Backend, report: (event: HiveSpawnStreamEvent) => void, signal?: AbortSignal): Promise<string> {
    const status = await this.options.builder.build(backend, report, signal);
    const found = this.options.engines.find("llama-server", backend);
    if (!found) throw new RbeeError("ENGINE_UNAVAILABLE", `llama-server is not ready on this node: ${status.detail}`);
    return found.path;
  }

  /**
   * Checks that the model fits and answers the bytes it takes on this node: all of it, or for a
   * split model (`rpc` given) only the share that stays here (the rest is on the rpc-servers).
   */
  private async checkCapacity(model: ProvisionedModel, request: PreparedSpawn["request"]): Promise<number> {
    const { backend, device } = request;
    const devices = await this.options.devices();
    let localBytes = model.size_bytes;
    let deviceBytes = model.size_bytes;
    if (request.rpc !== undefined) {
      const shape = await readGgufShape(model.path, model.model_ref);
      const weights = Math.max(0, shape.fileBytes - (shape.dataOffset ?? 0));
      const shares = splitShares({ backend, layers: shape.layers, gpuLayers: request.gpu_layers, rpcCount: request.rpc.length, tensorSplit: request.tensor_split });
      localBytes = Math.ceil(weights * (1 - shares.rpc));
      // On a GPU node its own device holds its share of the offloaded layers; the rest stays in RAM (unchecked, as for any GPU worker).
      deviceBytes = backend === "cpu" || backend === "metal" ? localBytes : Math.ceil(weights * shares.localGpu);
    }
    this.checkFits(request.rpc !== undefined ? `the share of ${model.model_ref} that stays on this node` : model.model_ref, backend, device, devices, deviceBytes);
    return localBytes;
  }

  private checkFits(what: string, backend: Backend, device: number, devices: NodeDevices, bytes: number): void {
    const needed = Math.ceil(bytes * MEMORY_OVERHEAD);
    // Workers still loading have not taken their memory yet: count it as taken.
    const pending = (matches: (worker: ManagedWorker) => boolean): number =>
      [...this.workers.values()].filter((worker) => !worker.registered && matches(worker)).reduce((sum, worker) => sum + worker.modelBytes, 0);

    if (backend === "cpu" || backend === "metal") {
      const free = devices.ram_free_bytes - pending((worker) => worker.backend === "cpu" || worker.backend === "metal");
      if (free < needed) {
        throw new RbeeError(
          "NO_CAPACITY",
          `Not enough free memory for ${what} on this node: it needs about ${formatBytes(needed)}, ${formatBytes(Math.max(free, 0))} is free`,
        );
      }
      return;
    }
    const gpu = devices.vram.find((candidate) => candidate.backend === backend && candidate.device === device);
    if (gpu?.free_bytes === null || gpu?.free_bytes === undefined) return; // unknown: let the worker try
    const free = gpu.free_bytes - pending((worker) => worker.backend === backend && worker.device === device);
    if (free < needed) {
      throw new RbeeError(
        "NO_CAPACITY",
        `Not enough free VRAM for ${what} on ${backend} device ${device} (${gpu.name}): it needs about ${formatBytes(needed)}, ${formatBytes(Math.max(free, 0))} is free`,
      );
    }
  }

  private adopt(worker: ManagedWorker, child: WorkerChild, url: string): void {
    worker.child = child;
    worker.url = url;
    this.writePidFile();
    this.options.log(`worker ${worker.id} (pid ${child.pid}) listening on ${url}, loading ${worker.modelRef}`);
    const loadTimeoutMs = this.options.loadTimeoutMs ?? 15 * 60_000;
    worker.loadTimer = setTimeout(() => {
      if (worker.registered) return;
      this.options.log(`worker ${worker.id} is still loading after ${loadTimeoutMs} ms: stopping it`);
      void this.stopWorker(worker);
    }, loadTimeoutMs);
    worker.loadTimer.unref();
    void child.exited.then((exit) => {
      clearTimeout(worker.loadTimer);
      clearTimeout(worker.idleTimer);
      this.workers.delete(worker.id);
      this.options.relay.forget(worker.id);
      this.writePidFile();
      const how = child.describeExit(exit);
      this.options.log(`worker ${worker.id} (pid ${child.pid}) ${how}${worker.stopping ? "" : child.lastWords()}`);
      const error = new RbeeError(
        "WORKER_FAILED",
        worker.stopping ? `Worker ${worker.id} was stopped before it was ready` : `llm-worker-rbee ${how} before it was ready${child.lastWords()}`,
      );
      for (const waiter of worker.readyWaiters.splice(0)) waiter.reject(error);
      if (!worker.stopping) void child.logClosed.then(() => this.reportExit(worker, exit));
    });
  }

  /** Tells the queen how a worker that nobody stopped ended, with the last lines of its log. */
  private reportExit(worker: ManagedWorker, exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null }): void {
    const report: WorkerExitReport = {
      worker_id: worker.id,
      model_ref: worker.modelRef,
      code: exit.code,
      signal: exit.signal,
      exited_unix: Math.floor(Date.now() / 1000),
      phase: worker.registered ? "running" : "loading",
      last_lines: lastLines(this.options.logs.pathOf(worker.id), EXIT_TAIL_LINES),
    };
    void this.options.relay.exited(report, worker.callbackToken);
  }

  private writePidFile(): void {
    this.options.pidFile.write([...this.workers.values()].filter((worker) => worker.child).map((worker) => ({ id: worker.id, pid: worker.pid })));
  }

  /** The worker whose own token this is (callbacks authenticate with it). */
  workerByToken(token: string): ManagedWorker | undefined {
    let found: ManagedWorker | undefined;
    // Compare with every worker so that timing tells nothing about which one matched.
    for (const worker of this.workers.values()) if (secretsEqual(worker.token, token) && worker.child) found = worker;
    return found;
  }

  /** The worker's ready callback: it has loaded its model. Answers true the first time. */
  register(worker: ManagedWorker, body: RegisterWorkerRequest): boolean {
    const first = !worker.registered;
    worker.registered = true;
    clearTimeout(worker.loadTimer);
    worker.slotsTotal = body.slots_total;
    worker.slotsAvailable = body.slots_available;
    worker.state = body.state && body.state !== "loading" ? body.state : worker.slotsAvailable < worker.slotsTotal ? "busy" : "idle";
    if (body.vram_bytes !== undefined) worker.vramBytes = body.vram_bytes;
    if (body.context_length !== undefined) worker.contextLength = body.context_length;
    if (first) this.options.log(`worker ${worker.id} is ready`);
    this.trackIdle(worker);
    for (const waiter of worker.readyWaiters.splice(0)) waiter.resolve(worker.view());
    void this.options.relay.register(worker);
    return first;
  }

  /** A worker's heartbeat; one that has not registered is told to (404, as the queen would). */
  heartbeat(worker: ManagedWorker, body: HeartbeatRequest): void {
    this.requireRegistered(worker);
    if (body.slots_available !== undefined) worker.slotsAvailable = body.slots_available;
    this.trackIdle(worker);
    void this.options.relay.heartbeat(worker);
  }

  /** A worker's state change. */
  update(worker: ManagedWorker, body: UpdateWorkerRequest): void {
    this.requireRegistered(worker);
    if (body.slots_available !== undefined) worker.slotsAvailable = body.slots_available;
    if (body.state !== undefined && worker.registered) worker.state = body.state;
    this.trackIdle(worker);
    void this.options.relay.update(worker);
  }

  private requireRegistered(worker: ManagedWorker): void {
    if (!worker.registered) throw new RbeeError("WORKER_NOT_FOUND", `Worker ${worker.id} has not registered yet: register first`);
  }

  /** Starts the TTL when a worker turns idle; a busy worker never times out. */
  private trackIdle(worker: ManagedWorker): void {
    if (!worker.idle) {
      clearTimeout(worker.idleTimer);
      worker.idleTimer = undefined;
      return;
    }
    if (worker.idleTimer) return; // idle since an earlier report: the clock keeps running
    worker.idleTimer = setTimeout(() => {
      if (!worker.idle || worker.stopping) return;
      this.options.log(`worker ${worker.id} was idle for ${worker.ttlMs / 1000} s: stopping it`);
      void this.stopWorker(worker);
    }, worker.ttlMs);
    worker.idleTimer.unref();
  }

  /** Sends every ready worker's registration, and the exits not delivered yet, to the (new) queen callback. */
  relayAll(): void {
    void this.options.relay.resendExits();
    for (const worker of this.workers.values()) {
      if (!worker.registered) continue;
      worker.relayed = false;
      void this.options.relay.register(worker);
    }
  }

  /** Stops one worker; WORKER_NOT_FOUND when this hive has no such worker. */
  async stop(id: string): Promise<void> {
    const worker = this.workers.get(id);
    if (!worker?.child) throw new RbeeError("WORKER_NOT_FOUND", `No worker '${id}' on this node`);
    await this.stopWorker(worker);
  }

  private async stopWorker(worker: ManagedWorker): Promise<void> {
    worker.stopping = true;
    await worker.child?.stop(this.options.stopGraceMs ?? 5000);
  }

  /** SIGKILLs every worker at once. */
  killAll(): void {
    this.closing = true;
    for (const worker of this.workers.values()) worker.child?.kill();
  }

  /** Stops every worker (SIGTERM, SIGKILL after the grace time) and refuses new spawns. */
  async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.starting]);
    await Promise.all([...this.workers.values()].filter((worker) => worker.child).map((worker) => this.stopWorker(worker)));
    this.options.pidFile.remove();
  }
}
