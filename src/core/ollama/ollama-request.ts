import { z } from "zod";
import { InferenceRequest, RbeeError, type ChatMessage, type RegisteredWorker } from "../../shared/contract/index.js";
import { findAlias } from "../../shared/contract/model-catalog.js";
import { invalidOllamaRequest } from "./ollama-error.js";

/**
 * Ollama's `options`: the sampling settings rbee maps (temperature, top_p, seed, num_predict,
 * stop); the model settings Ollama also takes there (num_ctx, top_k, …) are accepted and ignored.
 */
const Options = z.looseObject({
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  seed: z.number().int().nullish(),
  num_predict: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
});
type Options = z.infer<typeof Options>;

/** The fields both routes share. `keep_alive` is accepted: the hive keeps workers as it sees fit. */
const Common = {
  model: z.string().min(1, "required"),
  stream: z.boolean().nullish(),
  format: z.unknown().optional(),
  options: Options.nullish(),
  keep_alive: z.union([z.string(), z.number()]).nullish(),
  think: z.unknown().optional(),
};

const OllamaMessage = z.looseObject({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.string(),
  images: z.array(z.unknown()).nullish(),
  tool_calls: z.array(z.unknown()).nullish(),
});

/** `POST /api/chat`. */
export const OllamaChatRequest = z.looseObject({
  ...Common,
  messages: z.array(OllamaMessage).min(1, "give at least one message"),
  tools: z.array(z.unknown()).nullish(),
});
export type OllamaChatRequest = z.infer<typeof OllamaChatRequest>;

/** `POST /api/generate`. */
export const OllamaGenerateRequest = z.looseObject({
  ...Common,
  prompt: z.string().min(1, "required (an empty prompt only loads a model in Ollama; rbee loads models when they are asked for)"),
  system: z.string().nullish(),
  raw: z.boolean().nullish(),
  suffix: z.string().nullish(),
  template: z.string().nullish(),
  context: z.array(z.unknown()).nullish(),
  images: z.array(z.unknown()).nullish(),
});
export type OllamaGenerateRequest = z.infer<typeof OllamaGenerateRequest>;

/** What `/v1/inference` runs: the contract's request with its defaults applied. */
export type ParsedInference = z.output<typeof InferenceRequest>;

/** Ollama's default temperature, and what `num_predict` -1 (no limit) and -2 (fill the context) become. */
const DEFAULT_TEMPERATURE = 0.8;
const UNLIMITED_TOKENS = 32_768;

function refuse(field: string, message: string): RbeeError {
  return new RbeeError("INVALID_REQUEST", `Invalid request (${field}: ${message})`, [{ field, message }]);
}

const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/** Refuses what rbee cannot honour rather than ignoring it: structured output, tools, thinking. */
function refuseUnsupported(request: { format?: unknown; think?: unknown }): void {
  if (given(request.format) && request.format !== "") {
    throw refuse("format", "structured output (format) is not supported by rbee's Ollama API yet: leave it out");
  }
  if (given(request.think) && request.think !== false) throw refuse("think", "thinking is not supported: leave it out or set it to false");
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalidOllamaRequest(parsed.error);
  return parsed.data;
}

/** Validates an Ollama chat body; INVALID_REQUEST naming the field. */
export function parseChatRequest(body: unknown): OllamaChatRequest {
  const request = parse(OllamaChatRequest, body);
  refuseUnsupported(request);
  if (request.tools && request.tools.length > 0) throw refuse("tools", "tools are not supported: rbee does not give models tools");
  request.messages.forEach((message, index) => {
    if (message.role === "tool") throw refuse(`messages.${index}.role`, '"tool" messages are not supported: rbee does not give models tools');
    if (message.images && message.images.length > 0) throw refuse(`messages.${index}.images`, "rbee models take text only");
    if (message.tool_calls && message.tool_calls.length > 0) throw refuse(`messages.${index}.tool_calls`, "tool calls are not supported");
  });
  return request;
}

/** Validates an Ollama generate body; INVALID_REQUEST naming the field. */
export function parseGenerateRequest(body: unknown): OllamaGenerateRequest {
  const request = parse(OllamaGenerateRequest, body);
  refuseUnsupported(request);
  if (request.images && request.images.length > 0) throw refuse("images", "rbee models take text only");
  if (request.suffix) throw refuse("suffix", "fill-in-the-middle (suffix) is not supported");
  if (request.template) throw refuse("template", "a template of the request's own is not supported: the model's chat template is used");
  if (request.context && request.context.length > 0) throw refuse("context", "context token arrays are not supported: send the whole text, or use /api/chat");
  return request;
}

/**
 * The name as rbee knows it: Ollama's clients add `:latest` to a name without a tag, so a catalog
 * alias or a live worker's model with `:latest` appended is that model.
 */
export function ollamaModelName(name: string, workers: readonly RegisteredWorker[]): string {
  if (!name.endsWith(":latest")) return name;
  const bare = name.slice(0, -":latest".length);
  return findAlias(bare) || workers.some((worker) => worker.model_ref === bare) ? bare : name;
}

/** A worker's seed is 32-bit; Ollama's any integer: the same seed always maps to the same one. */
function workerSeed(seed: number): number {
  const modulus = 2 ** 32;
  return ((seed % modulus) + modulus) % modulus;
}

/** The sampling fields of the inference request for Ollama's options. */
function sampling(options: Options | null | undefined): Record<string, unknown> {
  const stops = given(options?.stop) ? [options.stop].flat().filter((stop) => stop !== "") : [];
  const predict = options?.num_predict;
  return {
    temperature: options?.temperature ?? DEFAULT_TEMPERATURE,
    ...(given(predict) ? { max_tokens: predict === -1 || predict === -2 ? UNLIMITED_TOKENS : predict } : {}),
    ...(given(options?.top_p) ? { top_p: options.top_p } : {}),
    ...(given(options?.seed) ? { seed: workerSeed(options.seed) } : {}),
    ...(stops.length > 0 ? { stop: stops } : {}),
  };
}

/** A field of the inference request in the names of the Ollama request it came from. */
const OPTION_FIELDS: Record<string, string> = { max_tokens: "options.num_predict", temperature: "options.temperature", top_p: "options.top_p", seed: "options.seed", stop: "options.stop" };

function checked(candidate: Record<string, unknown>, field: (name: string) => string): ParsedInference {
  const parsed = InferenceRequest.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const details = (invalidOllamaRequest(parsed.error).details ?? []).map((detail) => ({ ...detail, field: field(detail.field) }));
  const first = details[0];
  throw new RbeeError("INVALID_REQUEST", first ? `Invalid request (${first.field}: ${first.message})` : "Invalid request", details);
}

function optionField(name: string): string | undefined {
  const [head, ...rest] = name.split(".");
  const mapped = OPTION_FIELDS[head ?? ""];
  return mapped === undefined ? undefined : [mapped, ...rest].join(".");
}

/** The `/v1/inference` request for an Ollama chat request: the turns as messages, with Ollama's options. */
export function chatToInference(request: OllamaChatRequest, model: string): ParsedInference {
  const messages: ChatMessage[] = request.messages.map((message) => ({ role: message.role as ChatMessage["role"], content: message.content }));
  return checked({ model, messages, ...sampling(request.options) }, (name) => optionField(name) ?? name);
}

/**
 * The `/v1/inference` request for an Ollama generate request: as Ollama does, the prompt is a user
 * turn rendered with the model's chat template (after `system`, when given), or with `raw` the
 * prompt as it stands.
 */
export function generateToInference(request: OllamaGenerateRequest, model: string): ParsedInference {
  const form = request.raw
    ? { prompt: request.prompt }
    : { messages: [...(request.system ? [{ role: "system" as const, content: request.system }] : []), { role: "user" as const, content: request.prompt }] };
  const hasSystem = !request.raw && Boolean(request.system);
  return checked({ model, ...form, ...sampling(request.options) }, (name) => {
    const option = optionField(name);
    if (option !== undefined) return option;
    const turn = /^messages\.(\d+)/.exec(name);
    if (!turn) return name;
    return hasSystem && turn[1] === "0" ? "system" : "prompt";
  });
}
