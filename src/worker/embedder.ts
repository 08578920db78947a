import type { LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";
import { RbeeError } from "../shared/contract/index.js";

/** Vectors of some texts, in order, and the tokens they took. */
export type Embeddings = { readonly vectors: number[][]; readonly dimensions: number; readonly tokens: number };

/**
 * Embeds texts with node-llama-cpp's embedding context of the loaded model, created on first use
 * (a worker that never embeds does not pay for its memory) and kept. One text at a time: the
 * embedding context has one sequence.
 */
export class Embedder {
  private context: Promise<LlamaEmbeddingContext> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: LlamaModel,
    private readonly contextSize: number,
    private readonly threads: number,
  ) {}

  /** Embeds `texts` in order; INVALID_REQUEST naming `input.N` for a text longer than the context. */
  embed(texts: readonly string[]): Promise<Embeddings> {
    const run = this.queue.then(() => this.embedAll(texts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    const context = await this.context?.catch(() => undefined);
    await context?.dispose();
  }

  private async embedAll(texts: readonly string[]): Promise<Embeddings> {
    const counts = texts.map((text) => this.model.tokenize(text).length);
    counts.forEach((count, index) => {
      if (count >= this.contextSize) {
        throw new RbeeError("INVALID_REQUEST", `Input ${index} is ${count} tokens; this worker embeds at most ${this.contextSize - 1}`, [
          { field: `input.${index}`, message: `too long: ${count} tokens, at most ${this.contextSize - 1}` },
        ]);
      }
    });
    if (!this.context) {
      const creating = this.model.createEmbeddingContext({ contextSize: this.contextSize, threads: this.threads });
      this.context = creating;
      // A failed creation is tried again by the next request.
      creating.catch(() => (this.context = undefined));
    }
    const context = await this.context;
    const vectors: number[][] = [];
    for (const text of texts) vectors.push([...(await context.getEmbeddingFor(text)).vector]);
    return { vectors, dimensions: this.model.embeddingVectorSize, tokens: counts.reduce((sum, count) => sum + count, 0) };
  }
}
