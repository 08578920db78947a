import { z } from "zod";
import {
  HeartbeatRequest,
  RegisterWorkerRequest,
  RegisteredWorker,
  UpdateWorkerRequest,
  WorkerExit,
  WorkerExitReport,
  type HttpVerb,
} from "../../shared/contract/index.js";
import { MessagesRequest } from "../anthropic/messages-request.js";
import { OllamaChatRequest, OllamaGenerateRequest } from "../ollama/ollama-request.js";
import { ChatCompletionRequest } from "../openai/chat-request.js";
import { CompletionRequest } from "../openai/completion-request.js";
import { EmbeddingsRequest } from "../openai/embeddings.js";

/**
 * A route that exists over HTTP only, outside the API table: the worker callbacks (on the callback
 * listener a worker's own token may call them), the OpenAI-, Anthropic- and Ollama-compatible routes (their own shapes and error shapes) and the
 * OpenAPI document itself. Listed here so that `/openapi.json` documents every route.
 */
export interface HttpOnlyRoute {
  readonly verb: HttpVerb;
  readonly path: string;
  readonly summary: string;
  readonly tag: "worker callbacks" | "OpenAI-compatible" | "Anthropic-compatible" | "Ollama-compatible" | "meta" | "observability";
  readonly body?: z.ZodType;
  readonly answer: z.ZodType;
  /** The answer's media type when it is not JSON. */
  readonly contentType?: string;
  readonly status?: number;
  /** "worker": the queen token; on the callback listener also the worker's per-spawn token or its node's token. */
  readonly auth: "user" | "worker";
}

const WorkerAnswer = z.object({ worker: RegisteredWorker });
/** OpenAI's shapes are documented by OpenAI; the queen answers them as its official clients expect. */
const OpenAiAnswer = z.looseObject({});
/** Likewise Anthropic's and Ollama's shapes. */
const AnthropicAnswer = z.looseObject({});
const OllamaAnswer = z.looseObject({});

export const HTTP_ONLY_ROUTES = {
  registerWorker: {
    verb: "POST",
    path: "/v1/workers/register",
    summary: "A worker's ready callback: 201 when new, 200 for the same id and data, 409 for another url",
    tag: "worker callbacks",
    body: RegisterWorkerRequest,
    answer: WorkerAnswer,
    status: 201,
    auth: "worker",
  },
  updateWorker: {
    verb: "POST",
    path: "/v1/workers/update",
    summary: "A worker's state or free slots changed",
    tag: "worker callbacks",
    body: UpdateWorkerRequest,
    answer: WorkerAnswer,
    auth: "worker",
  },
  heartbeat: {
    verb: "POST",
    path: "/v1/workers/heartbeat",
    summary: "A worker is alive (404: unknown, register again)",
    tag: "worker callbacks",
    body: HeartbeatRequest,
    answer: WorkerAnswer,
    auth: "worker",
  },
  workerExited: {
    verb: "POST",
    path: "/v1/workers/exited",
    summary: "A hive reports a worker that died without being stopped (exit code or signal, last log lines): kept until dismissed, the worker removed",
    tag: "worker callbacks",
    body: WorkerExitReport,
    answer: z.object({ exit: WorkerExit }),
    auth: "worker",
  },
  openAiModels: {
    verb: "GET",
    path: "/v1/models",
    summary: "OpenAI: the models a client can ask for (live workers' models first, then the catalog)",
    tag: "OpenAI-compatible",
    answer: OpenAiAnswer,
    auth: "user",
  },
  openAiModel: {
    verb: "GET",
    path: "/v1/models/{model}",
    summary: "OpenAI: one model",
    tag: "OpenAI-compatible",
    answer: OpenAiAnswer,
    auth: "user",
  },
  openAiChatCompletions: {
    verb: "POST",
    path: "/v1/chat/completions",
    summary:
      "OpenAI: a chat completion, streamed (`stream: true`) or not, with usage. `response_format` json_object / json_schema and " +
      "`tool_choice` naming a function or `required` are held to their JSON schema by a grammar (a schema keyword the grammar " +
      "cannot enforce is refused); `tool_choice` auto answers in text; an answer cut by max_tokens ends with finish_reason length",
    tag: "OpenAI-compatible",
    body: ChatCompletionRequest,
    answer: OpenAiAnswer,
    auth: "user",
  },
  anthropicMessages: {
    verb: "POST",
    path: "/v1/messages",
    summary: "Anthropic: a message, streamed as Anthropic's named events (`stream: true`) or not; the key as `x-api-key` or `Authorization: Bearer`",
    tag: "Anthropic-compatible",
    body: MessagesRequest,
    answer: AnthropicAnswer,
    auth: "user",
  },
  ollamaVersion: {
    verb: "GET",
    path: "/api/version",
    summary: "Ollama: the Ollama API release these routes follow (and rbee's own version)",
    tag: "Ollama-compatible",
    answer: OllamaAnswer,
    auth: "user",
  },
  ollamaTags: {
    verb: "GET",
    path: "/api/tags",
    summary: "Ollama: the models a client can ask for (live workers' models first, then the catalog)",
    tag: "Ollama-compatible",
    answer: OllamaAnswer,
    auth: "user",
  },
  ollamaChat: {
    verb: "POST",
    path: "/api/chat",
    summary: "Ollama: a chat answer, streamed as NDJSON unless `stream: false`",
    tag: "Ollama-compatible",
    body: OllamaChatRequest,
    answer: OllamaAnswer,
    auth: "user",
  },
  ollamaGenerate: {
    verb: "POST",
    path: "/api/generate",
    summary: "Ollama: a completion of a prompt (a user turn in the chat template, or `raw`), streamed as NDJSON unless `stream: false`",
    tag: "Ollama-compatible",
    body: OllamaGenerateRequest,
    answer: OllamaAnswer,
    auth: "user",
  },
  openAiCompletions: {
    verb: "POST",
    path: "/v1/completions",
    summary: "OpenAI: a text completion of one prompt (no chat template), streamed (`stream: true`) or not, with usage",
    tag: "OpenAI-compatible",
    body: CompletionRequest,
    answer: OpenAiAnswer,
    auth: "user",
  },
  openAiEmbeddings: {
    verb: "POST",
    path: "/v1/embeddings",
    summary: "OpenAI: one embedding vector per input (a string or a list of strings), float or base64",
    tag: "OpenAI-compatible",
    body: EmbeddingsRequest,
    answer: OpenAiAnswer,
    auth: "user",
  },
  metrics: {
    verb: "GET",
    path: "/metrics",
    summary:
      "Prometheus text format: rbee_nodes{status}, rbee_workers{node,model,state}, rbee_worker_slots{node,model,kind}, rbee_requests_total{model,node,outcome}, rbee_generated_tokens_total, rbee_prompt_tokens_total{cached}, rbee_time_to_first_token_seconds (histogram), rbee_queue_depth{model}, and per GPU rbee_gpu_memory_used_bytes, rbee_gpu_memory_total_bytes, rbee_gpu_utilization_ratio, rbee_gpu_temperature_celsius{node,device,name}",
    tag: "observability",
    answer: z.string(),
    contentType: "text/plain; version=0.0.4; charset=utf-8",
    auth: "user",
  },
  openapi: {
    verb: "GET",
    path: "/openapi.json",
    summary: "This document: OpenAPI 3.1, generated from the API table",
    tag: "meta",
    answer: z.looseObject({ openapi: z.literal("3.1.0") }),
    auth: "user",
  },
} as const satisfies Record<string, HttpOnlyRoute>;
