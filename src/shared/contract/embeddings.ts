import { z } from "zod";

/** Most inputs one embeddings request may carry. */
export const MAX_EMBEDDING_INPUTS = 256;

/** `POST /v1/embeddings` on a worker: the texts to embed, in order. */
export const WorkerEmbeddingsRequest = z.strictObject({
  input: z.array(z.string().max(1_000_000)).min(1, "give at least one input").max(MAX_EMBEDDING_INPUTS),
});
export type WorkerEmbeddingsRequest = z.infer<typeof WorkerEmbeddingsRequest>;

/** A worker's answer: one vector per input, in the order of the inputs, and the tokens they took. */
export const WorkerEmbeddingsResponse = z.strictObject({
  embeddings: z.array(z.array(z.number())),
  /** The length of every vector: the model's embedding size. */
  dimensions: z.number().int().min(1),
  prompt_tokens: z.number().int().min(0),
});
export type WorkerEmbeddingsResponse = z.infer<typeof WorkerEmbeddingsResponse>;
