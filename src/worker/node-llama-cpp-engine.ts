// The default engine: node-llama-cpp in the worker's own process. The model's context holds one
// sequence per slot; prompts are tokenized and conversations rendered here, and runGeneration
// samples token by token (prefix cache, stop strings, end of turn, grammars).
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { type ChatMessage, type WorkerInferenceRequest } from "../shared/contract/index.js";
import type { EndOfTurn, RenderedChat } from "./chat-template.js";
import { fitConversation } from "./conversation-window.js";
import type { Embeddings } from "./embedder.js";
import { runGeneration, type Sampling } from "./generation.js";
import { loadInferenceEngine, type InferenceEngine } from "./inference-engine.js";
import type { JobGrammar } from "./job-grammar.js";
import { slotScore } from "./prefix-cache.js";
import { busyError, conversationTooLong, promptTooLong, type EngineJob, type WorkerEngine, type WorkerEngineOptions } from "./worker-engine.js";
import type { WorkerLog } from "./worker-log.js";

// A raw prompt's tokens: no chat template, so no end of turn.
type RawPrompt = { readonly tokens: Token[]; readonly endOfTurn: undefined };
type Input = RenderedChat | RawPrompt;

/** Loads the model with node-llama-cpp and serves it as a WorkerEngine. */
export async function loadNodeLlamaCppEngine(options: WorkerEngineOptions): Promise<WorkerEngine> {
  const engine = await loadInferenceEngine(options);
  return new NodeLlamaCppEngine(engine, options.log);
}

/** node-llama-cpp's loaded model behind the WorkerEngine seam. */
export class NodeLlamaCppEngine implements WorkerEngine {
  readonly name = "node-llama-cpp" as const;

  constructor(
    private readonly engine: InferenceEngine,
    private readonly log: WorkerLog,
  ) {}

  get slots(): InferenceEngine["slots"] {
    return this.engine.slots;
  }

  get contextSize(): number {
    return this.engine.contextSize;
  }

  get threads(): number {
    return this.engine.threads;
  }

  get vramBytes(): number | undefined {
    return this.engine.vramBytes;
  }

  /**
   * Builds the grammar (before a slot is taken: a schema without a grammar is refused with nothing
   * held), tokenizes the prompt or renders the messages, and takes the free slot that already holds
   * the longest part of its beginning. A conversation too long for the context, with room for an
   * answer, loses its oldest turns.
   */
  async reserve(request: WorkerInferenceRequest, sampling: Sampling): Promise<EngineJob> {
    const { engine } = this;
    const grammar: JobGrammar | undefined = request.grammar ? await engine.grammars.forJob(request.grammar) : undefined;
    if (engine.slots.available === 0) throw busyError(engine.slots.total);
    const { tokens, endOfTurn } = this.input(request, sampling.maxTokens);
    const cachePrompt = request.cache_prompt ?? true;
    // Without the cache, any slot will do: the one free the longest, sparing what the others hold.
    const sequence = engine.slots.acquire(cachePrompt ? (slot) => slotScore(slot.contextTokens, tokens) : undefined);
    if (!sequence) throw busyError(engine.slots.total);
    let released = false;
    return {
      run: (signal, startedAt, onToken) =>
        runGeneration(
          {
            sequence,
            detokenizer: engine.model,
            promptTokens: tokens,
            sampling,
            ...(endOfTurn ? { endOfTurn: endOfTurn as EndOfTurn } : {}),
            ...(grammar ? { grammar } : {}),
            cachePrompt,
            signal,
            startedAt,
          },
          onToken,
        ),
      release: () => {
        if (released) return;
        released = true;
        engine.slots.release(sequence);
      },
    };
  }

  /** Embeds with the model's embedding context, holding any free slot so that the worker shows busy. */
  async embed(texts: readonly string[]): Promise<Embeddings> {
    const sequence: LlamaContextSequence | undefined = this.engine.slots.acquire();
    if (!sequence) throw busyError(this.engine.slots.total);
    try {
      return await this.engine.embedder.embed(texts);
    } finally {
      this.engine.slots.release(sequence);
    }
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }

  // The tokens to evaluate: the raw prompt (with BOS when the model wants one), or the conversation
  // as the chat template renders it (the template places BOS itself).
  private input(request: WorkerInferenceRequest, maxTokens: number): Input {
    if (request.messages !== undefined) return this.conversation(request.messages, maxTokens);
    const { model, contextSize } = this.engine;
    const tokens = [...model.tokenize(request.prompt ?? "")];
    const bos = model.tokens.bos;
    if (bos !== null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    // Nothing of a raw prompt can safely be left out.
    if (tokens.length >= contextSize) throw promptTooLong(tokens.length, contextSize);
    return { tokens, endOfTurn: undefined };
  }

  // The conversation rendered whole, or without its oldest turns when it leaves no room for an answer
  // of max_tokens (at most a quarter of the context: a longer answer shifts the context as it goes).
  // Refused only when its system messages and last user message alone fill the context.
  private conversation(messages: readonly ChatMessage[], maxTokens: number): RenderedChat {
    const size = this.engine.contextSize;
    const room = Math.min(maxTokens, Math.floor(size / 4));
    const fitted = fitConversation(messages, (kept) => this.engine.chat.render(kept), (rendered) => rendered.tokens.length + room < size);
    const length = fitted.rendered.tokens.length;
    if (!fitted.fits && length >= size) {
      const cut = fitted.droppedTurns > 0 ? " even without its older turns" : "";
      throw conversationTooLong(length, size, cut);
    }
    if (fitted.droppedTurns > 0) {
      this.log(
        `conversation too long for the context of ${size} tokens: dropped its ${fitted.droppedTurns} oldest turn(s) ` +
          `(${fitted.droppedMessages} of ${messages.length} messages); ${length} tokens left, room for ${size - 1 - length} answer tokens`,
      );
    }
    return fitted.rendered;
  }
}
