import { z } from "zod";
import { InferenceRequest, RbeeError, type ChatMessage } from "../../shared/contract/index.js";
import { invalidRequest } from "./openai-error.js";
import { grammarOfResponseFormat, ResponseFormat, responseFormatHint } from "./response-format.js";
import { OpenAiTool, ToolChoice, toolPlan, type ToolPlan } from "./tools.js";

/** One message of an OpenAI chat request; fields rbee does not use (name, …) are allowed and ignored. */
const OpenAiMessage = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).nullish(),
  tool_calls: z
    .array(z.looseObject({ id: z.string().nullish(), function: z.looseObject({ name: z.string(), arguments: z.string().nullish() }) }))
    .nullish(),
  tool_call_id: z.string().nullish(),
  function_call: z.unknown().optional(),
});
type OpenAiMessage = z.infer<typeof OpenAiMessage>;

/**
 * `POST /v1/chat/completions`: the fields rbee maps. Others (`frequency_penalty`,
 * `logit_bias`, …) are accepted and ignored, as are nulls, so that OpenAI clients work unchanged.
 */
export const ChatCompletionRequest = z.looseObject({
  model: z.string().min(1, "required"),
  messages: z.array(OpenAiMessage).min(1, "give at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0, "must be greater than 0").max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  n: z.number().int().min(1).max(1, "rbee answers with one choice: use n = 1").nullish(),
  /** The end user's id: rbee uses it as the conversation's session, so its turns stay on one worker. */
  user: z.string().nullish(),
  response_format: ResponseFormat.nullish(),
  tools: z.array(OpenAiTool).max(128).nullish(),
  tool_choice: ToolChoice.nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** What `/v1/inference` runs: the contract's request with its defaults applied. */
export type ParsedInferenceRequest = z.output<typeof InferenceRequest>;

/** Validates an OpenAI chat request body; INVALID_REQUEST with the fields in OpenAI's names. */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  const parsed = ChatCompletionRequest.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

function refuse(field: string, message: string): RbeeError {
  return new RbeeError("INVALID_REQUEST", `Invalid request (${field}: ${message})`, [{ field, message }]);
}

/** The text of a message's content: a string, or its text parts joined by newlines (no images or audio here). */
function contentText(message: OpenAiMessage, index: number): string {
  const { content } = message;
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content
    .map((part, at) => {
      const field = `messages.${index}.content.${at}`;
      if (part.type === "text" && typeof part.text === "string") return part.text;
      if (part.type === "refusal" && typeof part.refusal === "string") return part.refusal;
      throw refuse(field, `rbee models take text only; a "${part.type}" part cannot be used`);
    })
    .join("\n");
}

/** An assistant turn that called tools, as text the model reads back: one `{"name", "arguments"}` per call. */
function toolCallsText(message: OpenAiMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => `{"name": ${JSON.stringify(call.function.name)}, "arguments": ${call.function.arguments ?? "{}"}}`);
  return calls.join("\n");
}

/**
 * Maps OpenAI messages to rbee's: `developer` is a system message; an assistant turn's tool calls
 * become its text (`{"name", "arguments"}` per call, after any content); a tool result (`tool`, or
 * the older `function`) is a user turn that says which call it answers.
 */
export function toChatMessages(messages: readonly OpenAiMessage[]): ChatMessage[] {
  return messages.map((message, index): ChatMessage => {
    switch (message.role) {
      case "system":
      case "developer":
        return { role: "system", content: contentText(message, index) };
      case "user":
        return { role: "user", content: contentText(message, index) };
      case "assistant": {
        const calls = toolCallsText(message);
        const text = contentText(message, index);
        return { role: "assistant", content: [text, calls].filter((part) => part !== "").join("\n") };
      }
      case "tool":
      case "function": {
        const about = message.role === "tool" ? (message.tool_call_id ? ` of call ${message.tool_call_id}` : "") : ` of ${String(message.name ?? "the function")}`;
        return { role: "user", content: `Tool result${about}:\n${contentText(message, index)}` };
      }
    }
  });
}

/** The system messages first, then one more line of instructions: merged into a leading system message, else one in front. */
function withInstruction(messages: ChatMessage[], instruction: string | undefined): ChatMessage[] {
  if (instruction === undefined) return messages;
  const [first, ...rest] = messages;
  if (first?.role === "system") return [{ role: "system", content: first.content === "" ? instruction : `${first.content}\n\n${instruction}` }, ...rest];
  return [{ role: "system", content: instruction }, ...messages];
}

/** OpenAI's seed is any integer; a worker's is 32-bit: the same seed always maps to the same one. */
export function workerSeed(seed: number): number {
  const modulus = 2 ** 32;
  return ((seed % modulus) + modulus) % modulus;
}

/**
 * The `/v1/inference` request for an OpenAI chat request: the same model (a model_ref or an alias),
 * the conversation as messages, `max_completion_tokens` (or the older `max_tokens`), temperature,
 * top_p, seed and stop; the queen's defaults where a field is absent or null.
 */
export function toInferenceRequest(request: ChatCompletionRequest): ParsedInferenceRequest {
  return toChatJob(request).inference;
}

/** A chat request as rbee runs it: the inference request, and whether the answer is text or a tool call. */
export type ChatJob = { readonly inference: ParsedInferenceRequest; readonly tools: ToolPlan };

/**
 * The chat request's inference, with its answer's shape: a forced tool call's grammar (and a line
 * telling the model which function to call) before a response format's; text otherwise.
 */
export function toChatJob(request: ChatCompletionRequest): ChatJob {
  const tools = toolPlan(request.tools, request.tool_choice);
  const grammar = tools.kind === "text" ? grammarOfResponseFormat(request.response_format) : tools.grammar;
  const instruction = tools.kind === "text" ? responseFormatHint(request.response_format) : tools.hint;
  const messages = withInstruction(toChatMessages(request.messages), instruction);
  return { inference: toSamplingRequest(request, { messages, ...(grammar ? { grammar } : {}) }), tools };
}

/** The sampling fields every OpenAI text route shares, mapped onto an inference request of `input`. */
export type SamplingFields = Pick<ChatCompletionRequest, "model" | "max_tokens" | "max_completion_tokens" | "temperature" | "top_p" | "seed" | "stop" | "user">;

/**
 * Builds the `/v1/inference` request for `input` (a prompt or messages, a grammar) with the
 * request's sampling fields; validates it with the contract and names refused fields as the client sent them.
 */
export function toSamplingRequest(request: SamplingFields, input: Record<string, unknown>): ParsedInferenceRequest {
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  const stops = request.stop === null || request.stop === undefined ? [] : [request.stop].flat().filter((stop) => stop !== "");
  const candidate = {
    model: request.model,
    ...input,
    ...(maxTokens !== null && maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    ...(request.temperature !== null && request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.top_p !== null && request.top_p !== undefined ? { top_p: request.top_p } : {}),
    ...(request.seed !== null && request.seed !== undefined ? { seed: workerSeed(request.seed) } : {}),
    ...(stops.length > 0 ? { stop: stops } : {}),
    ...(request.user ? { session: request.user.slice(0, 128) } : {}),
  };
  const parsed = InferenceRequest.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const error = invalidRequest(parsed.error);
  const given = request.max_completion_tokens !== null && request.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens";
  const details = (error.details ?? []).map((detail) => (detail.field === "max_tokens" ? { ...detail, field: given } : detail));
  throw new RbeeError("INVALID_REQUEST", error.message.replace("(max_tokens:", `(${given}:`), details);
}
