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
import { ChatCompletionRequest } from "../openai/chat-request.js";

/**
 * A route that exists over HTTP only, outside the API table: the worker callbacks (on the callback
 * listener a worker's own token may call them), the OpenAI-compatible routes (their own shapes and error shape) and the
 * OpenAPI document itself. Listed here so that `/openapi.json` documents every route.
 */
export interface HttpOnlyRoute {
  readonly verb: HttpVerb;
  readonly path: string;
  readonly summary: string;
  readonly tag: "worker callbacks" | "OpenAI-compatible" | "meta";
  readonly body?: z.ZodType;
  readonly answer: z.ZodType;
  readonly status?: number;
  /** "worker": the queen token; on the callback listener also the worker's per-spawn token or its node's token. */
  readonly auth: "user" | "worker";
}

const WorkerAnswer = z.object({ worker: RegisteredWorker });
/** OpenAI's shapes are documented by OpenAI; the queen answers them as its official clients expect. */
const OpenAiAnswer = z.looseObject({});

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
    summary: "OpenAI: a chat completion, streamed (`stream: true`) or not",
    tag: "OpenAI-compatible",
    body: ChatCompletionRequest,
    answer: OpenAiAnswer,
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
