import { z } from "zod";
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
const Sampling = {
  /** A raw completion prompt… */
  prompt: z.string().min(1, "required").max(1_000_000).optional(),
  /** …or a conversation: exactly one of the two. */
  messages: z.array(ChatMessage).min(1).max(1_000).optional(),
  max_tokens: z.number().int().min(1).max(32_768).optional(),
  temperature: z.number().min(0).max(5).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  stop: Stop.optional(),
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
  node: NodeName.optional(),
  ...Sampling,
  max_tokens: Sampling.max_tokens.default(256),
  temperature: Sampling.temperature.default(0.7),
}).refine(onePromptForm, PROMPT_FORM_ERROR);
export type InferenceRequest = z.input<typeof InferenceRequest>;

/** `POST /v1/inference` on a worker. */
export const WorkerInferenceRequest = z.strictObject({
  job_id: JobId.optional(),
  ...Sampling,
}).refine(onePromptForm, PROMPT_FORM_ERROR);
export type WorkerInferenceRequest = z.infer<typeof WorkerInferenceRequest>;

/** Normalises `stop` to a list. */
export function stopList(stop: string | readonly string[] | undefined): string[] {
  if (stop === undefined) return [];
  return typeof stop === "string" ? [stop] : [...stop];
}
