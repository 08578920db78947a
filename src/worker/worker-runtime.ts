import { randomInt } from "node:crypto";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import {
  RbeeError,
  stopList,
  type RegisterWorkerRequest,
  type WorkerInferenceRequest,
  type WorkerReadyResponse,
  type WorkerState,
} from "../shared/contract/index.js";
import type { Sampling } from "./generation.js";
import type { InferenceEngine } from "./inference-engine.js";
import { JobRegistry } from "./job-registry.js";
import type { WorkerStatus } from "./worker-announcer.js";
import type { WorkerOptions } from "./worker-options.js";

/** Sampling defaults when a request leaves them out (the queen's defaults, SPEC §3). */
export const DEFAULT_MAX_TOKENS = 256;
export const DEFAULT_TEMPERATURE = 0.7;

/** A slot taken for one job, with its tokenized prompt and resolved sampling. */
export type Reservation = {
  readonly engine: InferenceEngine;
  readonly sequence: LlamaContextSequence;
  readonly promptTokens: readonly Token[];
  readonly sampling: Sampling;
  /** Gives the slot back; safe to call more than once. */
  release(): void;
};

/**
 * The worker's state: loading until the engine is attached, then idle or busy (busy while any job
 * runs); the running jobs; and whether it is stopping. Listeners hear every change of state or
 * free slots.
 */
export class WorkerRuntime {
  readonly jobs = new JobRegistry();
  private engine: InferenceEngine | undefined;
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

  get loadedEngine(): InferenceEngine | undefined {
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
      ...(this.options.nodeName !== "" ? { node_name: this.options.nodeName } : {}),
    };
  }

  /** Makes the loaded engine serve requests. */
  attach(engine: InferenceEngine): void {
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
   * Takes a free slot for `request` and tokenizes its prompt. Throws NO_CAPACITY while loading,
   * stopping or when every slot is busy, and INVALID_REQUEST when the prompt does not fit.
   */
  reserve(request: WorkerInferenceRequest): Reservation {
    const engine = this.engine;
    if (this.stopping) throw new RbeeError("NO_CAPACITY", "This worker is shutting down");
    if (!engine) throw new RbeeError("NO_CAPACITY", "The model is still loading; retry when /v1/ready says ready");
    const prompt = request.prompt;
    if (prompt === undefined) {
      throw new RbeeError("INVALID_REQUEST", "This worker takes a prompt; chat messages are not supported yet", [
        { field: "messages", message: "not supported yet" },
      ]);
    }
    const sequence = engine.slots.acquire();
    if (!sequence) {
      throw new RbeeError("NO_CAPACITY", `All ${engine.slots.total} slot(s) of this worker are busy; retry later or spawn another worker`);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      engine.slots.release(sequence);
    };
    try {
      const promptTokens = this.tokenize(engine, prompt);
      return {
        engine,
        sequence,
        promptTokens,
        sampling: {
          maxTokens: request.max_tokens ?? DEFAULT_MAX_TOKENS,
          temperature: request.temperature ?? DEFAULT_TEMPERATURE,
          topP: request.top_p,
          seed: request.seed ?? randomInt(0, 2 ** 32),
          stop: stopList(request.stop),
        },
        release,
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Stops accepting jobs, cancels the running ones and waits until they ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    await this.jobs.cancelAll();
  }

  private tokenize(engine: InferenceEngine, prompt: string): Token[] {
    const { model } = engine;
    const tokens = [...model.tokenize(prompt)];
    const bos = model.tokens.bos;
    if (bos !== null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    if (tokens.length >= engine.contextSize) {
      throw new RbeeError("INVALID_REQUEST", `The prompt is ${tokens.length} tokens; this worker's context holds ${engine.contextSize}`, [
        { field: "prompt", message: `too long: ${tokens.length} tokens, the context holds ${engine.contextSize}` },
      ]);
    }
    return tokens;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
