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
import type { EndOfTurn } from "./chat-template.js";
import type { Sampling } from "./generation.js";
import type { InferenceEngine } from "./inference-engine.js";
import { JobRegistry } from "./job-registry.js";
import type { WorkerStatus } from "./worker-announcer.js";
import type { WorkerOptions } from "./worker-options.js";

/** Sampling defaults when a request leaves them out (the queen's defaults). */
export const DEFAULT_MAX_TOKENS = 256;
export const DEFAULT_TEMPERATURE = 0.7;

/** A slot taken for one job, with its tokenized prompt (or rendered conversation) and resolved sampling. */
export type Reservation = {
  readonly engine: InferenceEngine;
  readonly sequence: LlamaContextSequence;
  readonly promptTokens: readonly Token[];
  readonly sampling: Sampling;
  /** The chat template's end of turn for a conversation; undefined for a raw prompt. */
  readonly endOfTurn: EndOfTurn | undefined;
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
   * Takes a free slot for `request` and tokenizes its prompt, or renders its messages with the
   * model's chat template. Throws NO_CAPACITY while loading, stopping or when every slot is busy,
   * and INVALID_REQUEST when the prompt does not fit or the template refuses the conversation.
   */
  reserve(request: WorkerInferenceRequest): Reservation {
    const engine = this.engine;
    if (this.stopping) throw new RbeeError("NO_CAPACITY", "This worker is shutting down");
    if (!engine) throw new RbeeError("NO_CAPACITY", "The model is still loading; retry when /v1/ready says ready");
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
      const { tokens, endOfTurn } = this.input(engine, request);
      return {
        engine,
        sequence,
        promptTokens: tokens,
        endOfTurn,
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

  // The tokens to evaluate: the raw prompt (with BOS when the model wants one), or the conversation
  // as the chat template renders it (the template places BOS itself).
  private input(engine: InferenceEngine, request: WorkerInferenceRequest): { tokens: Token[]; endOfTurn: EndOfTurn | undefined } {
    const { model } = engine;
    let field: "prompt" | "messages";
    let tokens: Token[];
    let endOfTurn: EndOfTurn | undefined;
    if (request.messages !== undefined) {
      field = "messages";
      ({ tokens, endOfTurn } = engine.chat.render(request.messages));
    } else {
      field = "prompt";
      tokens = [...model.tokenize(request.prompt ?? "")];
      const bos = model.tokens.bos;
      if (bos !== null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    }
    if (tokens.length >= engine.contextSize) {
      const what = field === "prompt" ? "The prompt" : "The conversation";
      throw new RbeeError("INVALID_REQUEST", `${what} is ${tokens.length} tokens; this worker's context holds ${engine.contextSize}`, [
        { field, message: `too long: ${tokens.length} tokens, the context holds ${engine.contextSize}` },
      ]);
    }
    return { tokens, endOfTurn };
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
