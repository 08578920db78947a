import { z } from "zod";
import { MAX_EMBEDDING_INPUTS, RbeeError, type WorkerEmbeddingsResponse } from "../../shared/contract/index.js";
import { invalidRequest } from "./openai-error.js";

/**
 * `POST /v1/embeddings`: `input` is a string or a list of strings (one vector each, in order);
 * token-id inputs and `dimensions` other than the model's are refused in words.
 */
export const EmbeddingsRequest = z.looseObject({
  model: z.string().min(1, "required"),
  input: z.union([
    z.string().min(1, "must not be empty"),
    z.array(z.string().min(1, "must not be empty")).min(1, "give at least one input").max(MAX_EMBEDDING_INPUTS),
  ]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().min(1).nullish(),
  user: z.string().nullish(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

/** OpenAI's answer: a list of `embedding` objects in input order, and the tokens the inputs took. */
export type EmbeddingList = {
  readonly object: "list";
  readonly data: readonly { readonly object: "embedding"; readonly index: number; readonly embedding: readonly number[] | string }[];
  readonly model: string;
  readonly usage: { readonly prompt_tokens: number; readonly total_tokens: number };
};

/** Validates an embeddings body; a token-id input gets words that say so. */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  const parsed = EmbeddingsRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const input = (body as { input?: unknown } | null)?.input;
  if (Array.isArray(input) && input.some((item) => typeof item === "number" || Array.isArray(item))) {
    const message = "give the input as text: rbee does not take token ids";
    throw new RbeeError("INVALID_REQUEST", `Invalid request (input: ${message})`, [{ field: "input", message }]);
  }
  throw invalidRequest(parsed.error);
}

/** The inputs to embed, in order. */
export function inputsOf(request: EmbeddingsRequest): string[] {
  return typeof request.input === "string" ? [request.input] : [...request.input];
}

/** A vector as OpenAI's base64 form: the little-endian float32 bytes. */
export function base64Vector(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString("base64");
}

/** The OpenAI answer for a worker's embeddings; `dimensions` must be the model's own size. */
export function toEmbeddingList(request: EmbeddingsRequest, result: WorkerEmbeddingsResponse): EmbeddingList {
  if (request.dimensions !== null && request.dimensions !== undefined && request.dimensions !== result.dimensions) {
    const message = `this model's vectors have ${result.dimensions} dimensions; rbee does not shorten them`;
    throw new RbeeError("INVALID_REQUEST", `Invalid request (dimensions: ${message})`, [{ field: "dimensions", message }]);
  }
  const base64 = request.encoding_format === "base64";
  return {
    object: "list",
    data: result.embeddings.map((vector, index) => ({ object: "embedding", index, embedding: base64 ? base64Vector(vector) : vector })),
    model: request.model,
    usage: { prompt_tokens: result.prompt_tokens, total_tokens: result.prompt_tokens },
  };
}
