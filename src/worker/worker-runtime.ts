import { randomInt } from "node:crypto";
import {
  RbeeError,
  stopList,
  type RegisterWorkerRequest,
  type WorkerInferenceRequest,
  type WorkerReadyResponse,
  type WorkerState,
} from "../shared/contract/index.js";
import type { Embeddings } from "./embedder.js";
import { JobRegistry } from "./job-registry.js";
import type { WorkerStatus } from "./worker-announcer.js";
import type { EngineJob, WorkerEngine } from "./worker-engine.js";
import type { WorkerOptions } from "./worker-options.js";

/** Sampling defaults when a request leaves them out (the queen's defaults). */
export const DEFAULT_MAX_TOKENS = 256;
export const DEFAULT_TEMPERATURE = 0.7;

/**
 * The worker's state: loading until the engine is attached, then idle or busy (busy while any job
 * runs); the running jobs; and whether it is stopping. Listeners hear every change of state or
 * free slots.
 */
export class WorkerRuntime {
  readonly jobs = new JobRegistry();
  private engine: WorkerEngine | undefined;
  private stopping = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly options: WorkerOptions) {}

  get state(): WorkerState {
    if (!this.engine) return "loading";
    return this.engine.slots.available < this.engine.slots.total ? "busy" : "idle";
  }

  get slotsTotal(): number {
    return this.engine?.slots.total ?? this.options.slots;
  }

  get slotsAvailable(): number {
    return this.engine?.slots.available ?? 0;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get loadedEngine(): WorkerEngine | undefined {
    return this.engine;
  }

  /** The answer of `GET /v1/ready`. */
  readiness(): WorkerReadyResponse {
    return {
      ready: this.engine !== undefined && !this.stopping,
      state: this.state,
      slots_total: this.slotsTotal,
      slots_available: this.slotsAvailable,
      model_ref: this.options.modelRef,
      ...(this.engine ? { threads: this.engine.threads } : {}),
    };
  }

  /** State and free slots, as updates and heartbeats carry them. */
  status(): WorkerStatus {
    return { state: this.state, slots_available: this.slotsAvailable };
  }

  /** The ready callback's body for a worker reachable at `url`. */
  registration(url: string): RegisterWorkerRequest {
    const vram = this.engine?.vramBytes;
    return {
      worker_id: this.options.workerId,
      url,
      model_ref: this.options.modelRef,
      backend: this.options.backend,
      device: this.options.device,
      slots_total: this.slotsTotal,
      slots_available: this.slotsAvailable,
      state: this.state,
      ...(vram !== undefined ? { vram_bytes: vram } : {}),
      ...(this.engine ? { context_length: this.engine.contextSize } : {}),
      ...(this.options.nodeName !== "" ? { node_name: this.options.nodeName } : {}),
      engine: this.options.engine,
    };
  }

  /** Makes the loaded engine serve requests. */
  attach(engine: WorkerEngine): void {
    this.engine = engine;
    engine.slots.onChange(() => this.notify());
    this.notify();
  }

  /** Calls `listener` on every change of state or free slots; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves the request's sampling (defaults, a random seed when none is given) and has the engine
   * prepare its input and take a slot. Throws NO_CAPACITY while loading, stopping or when every slot
   * is busy, and INVALID_REQUEST when the input does not fit or cannot be prepared.
   */
  async reserve(request: WorkerInferenceRequest): Promise<EngineJob> {
    const engine = this.servingEngine();
    return engine.reserve(request, {
      maxTokens: request.max_tokens ?? DEFAULT_MAX_TOKENS,
      temperature: request.temperature ?? DEFAULT_TEMPERATURE,
      topP: request.top_p,
      seed: request.seed ?? randomInt(0, 2 ** 32),
      stop: stopList(request.stop),
    });
  }

  /** Embeddings of `texts` from the loaded engine; NO_CAPACITY as `reserve`. */
  embed(texts: readonly string[]): Promise<Embeddings> {
    return this.servingEngine().embed(texts);
  }

  private servingEngine(): WorkerEngine {
    if (this.stopping) throw new RbeeError("NO_CAPACITY", "This worker is shutting down");
    if (!this.engine) throw new RbeeError("NO_CAPACITY", "The model is still loading; retry when /v1/ready says ready");
    return this.engine;
  }

  /** Stops accepting jobs, cancels the running ones and waits until they ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    await this.jobs.cancelAll();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
