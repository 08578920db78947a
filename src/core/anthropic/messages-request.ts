import { z } from "zod";
import { InferenceRequest, RbeeError, type ChatMessage } from "../../shared/contract/index.js";
import { invalidAnthropicRequest } from "./anthropic-error.js";

/** A content block; only text is used, the others are refused by name when met. */
const ContentBlock = z.looseObject({ type: z.string(), text: z.unknown().optional() });
const Content = z.union([z.string(), z.array(ContentBlock)]);

const AnthropicMessage = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: Content,
});

/**
 * `POST /v1/messages`: the fields rbee maps. `top_k`, `anthropic-version` and fields Anthropic adds
 * later are accepted and ignored, so that Anthropic's clients work unchanged; tools and extended
 * thinking are refused in words, since rbee's models here are not given them.
 */
export const MessagesRequest = z.looseObject({
  model: z.string().min(1, "required"),
  max_tokens: z.number().int().min(1),
  messages: z.array(AnthropicMessage).min(1, "give at least one message"),
  system: Content.optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().gt(0, "must be greater than 0").max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  /** `user_id` is the conversation's session: its turns stay on the worker that holds it. */
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  tools: z.array(z.unknown()).optional(),
  tool_choice: z.unknown().optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

/** What `/v1/inference` runs: the contract's request with its defaults applied. */
export type ParsedInference = z.output<typeof InferenceRequest>;

/** Anthropic's default temperature. */
const DEFAULT_TEMPERATURE = 1;

function refuse(field: string, message: string): RbeeError {
  return new RbeeError("INVALID_REQUEST", `Invalid request (${field}: ${message})`, [{ field, message }]);
}

/** Validates an Anthropic messages body; INVALID_REQUEST naming the field. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  const parsed = MessagesRequest.safeParse(body);
  if (!parsed.success) throw invalidAnthropicRequest(parsed.error);
  const request = parsed.data;
  if (request.tools && request.tools.length > 0) throw refuse("tools", "tools are not supported: rbee does not give models tools");
  if (request.thinking && request.thinking.type !== "disabled") throw refuse("thinking", "extended thinking is not supported");
  return request;
}

/** The text of a content: a string, or its text blocks joined by newlines (no images, documents or tool blocks). */
export function contentText(content: z.infer<typeof Content>, field: string): string {
  if (typeof content === "string") return content;
  return content
    .map((block, at) => {
      if (block.type === "text" && typeof block.text === "string") return block.text;
      if (block.type === "text") throw refuse(`${field}.${at}.text`, "a text block needs its text as a string");
      throw refuse(`${field}.${at}.type`, `rbee models take text only; a "${block.type}" block cannot be used`);
    })
    .join("\n");
}

/** The conversation as rbee's messages: the system prompt (when given) first, then the turns. */
export function toChatMessages(request: MessagesRequest): ChatMessage[] {
  const system = request.system === undefined ? "" : contentText(request.system, "system");
  const turns = request.messages.map((message, index): ChatMessage => ({ role: message.role, content: contentText(message.content, `messages.${index}.content`) }));
  return system === "" ? turns : [{ role: "system", content: system }, ...turns];
}

/** A field of the inference request in the names of the Anthropic request it came from. */
function anthropicField(field: string, hasSystem: boolean): string {
  if (field === "stop" || field.startsWith("stop.")) return field.replace(/^stop/, "stop_sequences");
  const match = /^messages\.(\d+)(.*)$/.exec(field);
  if (!match || !hasSystem) return field;
  const index = Number(match[1]);
  return index === 0 ? "system" : `messages.${index - 1}${match[2]}`;
}

/**
 * The `/v1/inference` request for an Anthropic messages request: the same model (a model_ref or an
 * alias), the system prompt and turns as messages, max_tokens, temperature (Anthropic's default 1),
 * top_p, stop_sequences, and `metadata.user_id` as the session.
 */
export function toInferenceRequest(request: MessagesRequest): ParsedInference {
  const messages = toChatMessages(request);
  const stops = (request.stop_sequences ?? []).filter((stop) => stop !== "");
  const userId = request.metadata?.user_id;
  const candidate = {
    model: request.model,
    messages,
    max_tokens: request.max_tokens,
    temperature: request.temperature ?? DEFAULT_TEMPERATURE,
    ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
    ...(stops.length > 0 ? { stop: stops } : {}),
    ...(userId ? { session: userId.slice(0, 128) } : {}),
  };
  const parsed = InferenceRequest.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const hasSystem = messages[0]?.role === "system";
  const error = invalidAnthropicRequest(parsed.error);
  const details = (error.details ?? []).map((detail) => ({ ...detail, field: anthropicField(detail.field, hasSystem) }));
  const first = details[0];
  throw new RbeeError("INVALID_REQUEST", first ? `Invalid request (${first.field}: ${first.message})` : error.message, details);
}
