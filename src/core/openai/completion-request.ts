import { z } from "zod";
import { RbeeError } from "../../shared/contract/index.js";
import { toSamplingRequest, type ParsedInferenceRequest } from "./chat-request.js";
import { invalidRequest } from "./openai-error.js";
import { grammarOfResponseFormat, ResponseFormat } from "./response-format.js";

/**
 * `POST /v1/completions` (OpenAI's legacy text completions): the fields rbee maps. `prompt` is a
 * string or a list of one string; token-id prompts, several prompts, `echo`, `suffix`, `logprobs`
 * and `best_of` > 1 are refused in words rather than answered differently from OpenAI.
 */
export const CompletionRequest = z.looseObject({
  model: z.string().min(1, "required"),
  prompt: z.union([z.string(), z.array(z.unknown())]),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0, "must be greater than 0").max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  n: z.number().int().min(1).max(1, "rbee answers with one choice: use n = 1").nullish(),
  best_of: z.number().int().min(1).max(1, "rbee answers with one choice: use best_of = 1").nullish(),
  echo: z.literal(false, "rbee does not echo the prompt: leave echo out or false").nullish(),
  suffix: z.null("rbee does not insert text between a prompt and a suffix: leave suffix out").optional(),
  logprobs: z.null("rbee does not answer log probabilities: leave logprobs out").optional(),
  user: z.string().nullish(),
  /** An rbee extension (OpenAI's completions have none): JSON or a JSON schema, as in chat. */
  response_format: ResponseFormat.nullish(),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

function refuse(field: string, message: string): RbeeError {
  return new RbeeError("INVALID_REQUEST", `Invalid request (${field}: ${message})`, [{ field, message }]);
}

/** Validates a completions body; INVALID_REQUEST with the fields in OpenAI's names. */
export function parseCompletionRequest(body: unknown): CompletionRequest {
  const parsed = CompletionRequest.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

/** The one prompt of a request: a string, or a list holding exactly one string. */
export function promptOf(request: CompletionRequest): string {
  const { prompt } = request;
  const text = typeof prompt === "string" ? prompt : prompt.length === 1 && typeof prompt[0] === "string" ? prompt[0] : undefined;
  if (text === undefined) {
    const why = Array.isArray(prompt) && prompt.length > 1 ? "give one prompt per request" : "give the prompt as text (a string, or a list of one string)";
    throw refuse("prompt", why);
  }
  if (text === "") throw refuse("prompt", "must not be empty");
  return text;
}

/** The `/v1/inference` request of a completions request: the raw prompt, no chat template. */
export function toCompletionInference(request: CompletionRequest): ParsedInferenceRequest {
  const grammar = grammarOfResponseFormat(request.response_format);
  return toSamplingRequest(request, { prompt: promptOf(request), ...(grammar ? { grammar } : {}) });
}
