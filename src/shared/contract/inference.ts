import { z } from "zod";
import { Grammar } from "./grammar.js";
import { fieldWithDefault, optionalField } from "./optional.js";
import { NodeName } from "./nodes.js";
import { ModelRef } from "./workers.js";

const Stop = z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).max(16)]);

/** One turn of a conversation; the worker renders the list with the model's own chat template. */
export const ChatMessage = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string().max(1_000_000),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** Sampling settings shared by the queen's and the worker's inference routes. */
const MaxTokens = z.number().int().min(1).max(32_768);
const Temperature = z.number().min(0).max(5);

/** Sampling settings shared by the queen's and the worker's inference routes; each may be null. */
const Sampling = {
  /** A raw completion prompt… */
  prompt: optionalField(z.string().min(1, "required").max(1_000_000)),
  /** …or a conversation: exactly one of the two. */
  messages: optionalField(z.array(ChatMessage).min(1).max(1_000)),
  max_tokens: optionalField(MaxTokens),
  temperature: optionalField(Temperature),
  top_p: optionalField(z.number().gt(0).max(1)),
  seed: optionalField(z.number().int().min(0).max(2 ** 32 - 1)),
  stop: optionalField(Stop),
  /**
   * Reuse what a slot already evaluated of the prompt's beginning (default true). False evaluates
   * the whole prompt again: the output is the same, only slower; it exists to measure the cache.
   */
  cache_prompt: optionalField(z.boolean()),
  /**
   * Constrains the answer to JSON (or JSON matching a schema) with a grammar. An answer cut by
   * max_tokens ends with `max_tokens` and is not complete JSON: give room for the whole value.
   */
  grammar: optionalField(Grammar),
};

function onePromptForm(request: { prompt?: string | undefined; messages?: unknown[] | undefined }): boolean {
  return (request.prompt === undefined) !== (request.messages === undefined);
}
const PROMPT_FORM_ERROR = { message: "give exactly one of prompt or messages", path: ["prompt"] };

/** A job's id: what `started` carries and `DELETE /v1/inference/{job_id}` takes. */
export const JobId = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "use letters, digits, '.', '_' or '-'");

/** `POST /v1/inference` on the queen. */
export const InferenceRequest = z.strictObject({
  model: ModelRef,
  node: optionalField(NodeName),
  /** A conversation's id: its turns go to the worker that holds the conversation while it has a free slot. */
  session: optionalField(z.string().min(1).max(128)),
  ...Sampling,
  max_tokens: fieldWithDefault(MaxTokens, 256),
  temperature: fieldWithDefault(Temperature, 0.7),
}).refine(onePromptForm, PROMPT_FORM_ERROR);
export type InferenceRequest = z.input<typeof InferenceRequest>;

/** `POST /v1/inference` on a worker. */
export const WorkerInferenceRequest = z.strictObject({
  job_id: optionalField(JobId),
  ...Sampling,
}).refine(onePromptForm, PROMPT_FORM_ERROR);
export type WorkerInferenceRequest = z.infer<typeof WorkerInferenceRequest>;

/** Normalises `stop` to a list. */
export function stopList(stop: string | readonly string[] | undefined): string[] {
  if (stop === undefined) return [];
  return typeof stop === "string" ? [stop] : [...stop];
}
