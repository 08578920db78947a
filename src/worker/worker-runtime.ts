import { randomInt } from "node:crypto";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import {
  RbeeError,
  stopList,
  type ChatMessage,
  type RegisterWorkerRequest,
  type WorkerInferenceRequest,
  type WorkerReadyResponse,
  type WorkerState,
} from "../shared/contract/index.js";
import type { EndOfTurn, RenderedChat } from "./chat-template.js";
import { fitConversation } from "./conversation-window.js";
import type { Sampling } from "./generation.js";
import type { InferenceEngine } from "./inference-engine.js";
import { JobRegistry } from "./job-registry.js";
import { slotScore } from "./prefix-cache.js";
import type { WorkerStatus } from "./worker-announcer.js";
import type { WorkerLog } from "./worker-log.js";
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
  /** Keep what the slot holds of the prompt's beginning (the request's `cache_prompt`, default true). */
  readonly cachePrompt: boolean;
  /** Gives the slot back; safe to call more than once. */
  release(): void;
};

function busyError(engine: InferenceEngine): RbeeError {
  return new RbeeError("NO_CAPACITY", `All ${engine.slots.total} slot(s) of this worker are busy; retry later or spawn another worker`);
}

// A raw prompt's tokens: no chat template, so no end of turn.
type RawPrompt = { readonly tokens: Token[]; readonly endOfTurn: undefined };

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

  constructor(
    readonly options: WorkerOptions,
    private readonly log: WorkerLog = () => undefined,
  ) {}

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
      ...(this.engine ? { context_length: this.engine.contextSize } : {}),
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
   * Tokenizes the prompt of `request`, or renders its messages with the model's chat template, and
   * takes the free slot that already holds the longest part of its beginning. A conversation too
   * long for the context, with room for an answer, loses its oldest turns. Throws NO_CAPACITY while
   * loading, stopping or when every slot is busy, and INVALID_REQUEST when the prompt (or a
   * conversation cut to its system messages and last user message) does not fit, or the template
   * refuses the conversation.
   */
  reserve(request: WorkerInferenceRequest): Reservation {
    const engine = this.servingEngine();
    const busy = (): RbeeError => busyError(engine);
    if (engine.slots.available === 0) throw busy();
    const maxTokens = request.max_tokens ?? DEFAULT_MAX_TOKENS;
    const { tokens, endOfTurn } = this.input(engine, request, maxTokens);
    const cachePrompt = request.cache_prompt ?? true;
    // Without the cache, any slot will do: the one free the longest, sparing what the others hold.
    const sequence = engine.slots.acquire(cachePrompt ? (slot) => slotScore(slot.contextTokens, tokens) : undefined);
    if (!sequence) throw busy();
    let released = false;
    return {
      engine,
      sequence,
      promptTokens: tokens,
      endOfTurn,
      cachePrompt,
      sampling: {
        maxTokens,
        temperature: request.temperature ?? DEFAULT_TEMPERATURE,
        topP: request.top_p,
        seed: request.seed ?? randomInt(0, 2 ** 32),
        stop: stopList(request.stop),
      },
      release: () => {
        if (released) return;
        released = true;
        engine.slots.release(sequence);
      },
    };
  }

  /**
   * Takes any free slot for work that is not a generation (embeddings), so that the worker shows
   * busy while it computes; answers the engine and the slot's release. NO_CAPACITY as `reserve`.
   */
  borrowSlot(): { readonly engine: InferenceEngine; readonly release: () => void } {
    const engine = this.servingEngine();
    const sequence = engine.slots.acquire();
    if (!sequence) throw busyError(engine);
    let released = false;
    return {
      engine,
      release: () => {
        if (released) return;
        released = true;
        engine.slots.release(sequence);
      },
    };
  }

  private servingEngine(): InferenceEngine {
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

  // The tokens to evaluate: the raw prompt (with BOS when the model wants one), or the conversation
  // as the chat template renders it (the template places BOS itself).
  private input(engine: InferenceEngine, request: WorkerInferenceRequest, maxTokens: number): RenderedChat | RawPrompt {
    if (request.messages !== undefined) return this.conversation(engine, request.messages, maxTokens);
    const { model } = engine;
    const tokens = [...model.tokenize(request.prompt ?? "")];
    const bos = model.tokens.bos;
    if (bos !== null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    // Nothing of a raw prompt can safely be left out.
    if (tokens.length >= engine.contextSize) {
      throw new RbeeError("INVALID_REQUEST", `The prompt is ${tokens.length} tokens; this worker's context holds ${engine.contextSize}`, [
        { field: "prompt", message: `too long: ${tokens.length} tokens, the context holds ${engine.contextSize}` },
      ]);
    }
    return { tokens, endOfTurn: undefined };
  }

  // The conversation rendered whole, or without its oldest turns when it leaves no room for an answer
  // of max_tokens (at most a quarter of the context: a longer answer shifts the context as it goes).
  // Refused only when its system messages and last user message alone fill the context.
  private conversation(engine: InferenceEngine, messages: readonly ChatMessage[], maxTokens: number): RenderedChat {
    const size = engine.contextSize;
    const room = Math.min(maxTokens, Math.floor(size / 4));
    const fitted = fitConversation(messages, (kept) => engine.chat.render(kept), (rendered) => rendered.tokens.length + room < size);
    const length = fitted.rendered.tokens.length;
    if (!fitted.fits && length >= size) {
      const cut = fitted.droppedTurns > 0 ? " even without its older turns" : "";
      throw new RbeeError("INVALID_REQUEST", `The conversation is ${length} tokens${cut}; this worker's context holds ${size}`, [
        { field: "messages", message: `too long: ${length} tokens${cut}, the context holds ${size}` },
      ]);
    }
    if (fitted.droppedTurns > 0) {
      this.log(
        `conversation too long for the context of ${size} tokens: dropped its ${fitted.droppedTurns} oldest turn(s) ` +
          `(${fitted.droppedMessages} of ${messages.length} messages); ${length} tokens left, room for ${size - 1 - length} answer tokens`,
      );
    }
    return fitted.rendered;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
