import { z } from "zod";
import { ErrorCode } from "./errors.js";
import { RegisteredWorker } from "./workers.js";

export const ProgressStage = z.enum(["ssh", "install", "hive", "download", "copy", "build", "shard", "queue", "spawn", "loading"]);
export type ProgressStage = z.infer<typeof ProgressStage>;

export const StopReason = z.enum(["max_tokens", "eos", "stop", "cancelled"]);
export type StopReason = z.infer<typeof StopReason>;

export const ProgressEvent = z.object({
  type: z.literal("progress"),
  stage: ProgressStage,
  message: z.string(),
  bytes: z.number().optional(),
  bytes_total: z.number().optional(),
  /** Stage `queue`: the request's place while it waits for a free slot (1 = next). */
  position: z.number().int().min(1).optional(),
  /** How far a step without bytes is (stage `build`: the compile's share done), 0..1. */
  fraction: z.number().min(0).max(1).optional(),
});
export const StartedEvent = z.object({
  type: z.literal("started"),
  job_id: z.string(),
  worker_id: z.string(),
  node_name: z.string(),
  model_ref: z.string(),
});
export const TokenEvent = z.object({ type: z.literal("token"), t: z.string(), i: z.number().int() });
export const EndEvent = z.object({
  type: z.literal("end"),
  /** Tokens of the prompt or rendered conversation the model read (what OpenAI calls prompt_tokens). */
  tokens_in: z.number().int().optional(),
  /** Of `tokens_in`, those taken from the slot's cache instead of being evaluated again. */
  tokens_cached: z.number().int().optional(),
  tokens_out: z.number().int(),
  decode_ms: z.number(),
  ttft_ms: z.number(),
  stop_reason: StopReason,
  /** With `stop_reason` `stop`: the stop string that ended the answer (Anthropic's `stop_sequence`). */
  stop_sequence: z.string().optional(),
});
export const ErrorEvent = z.object({ type: z.literal("error"), code: ErrorCode, message: z.string() });

/** One `data:` line of every SSE stream. */
export const StreamEvent = z.discriminatedUnion("type", [
  ProgressEvent,
  StartedEvent,
  TokenEvent,
  EndEvent,
  ErrorEvent,
]);
export type StreamEvent = z.infer<typeof StreamEvent>;
export type ProgressEvent = z.infer<typeof ProgressEvent>;
export type StartedEvent = z.infer<typeof StartedEvent>;
export type TokenEvent = z.infer<typeof TokenEvent>;
export type EndEvent = z.infer<typeof EndEvent>;
export type ErrorEvent = z.infer<typeof ErrorEvent>;

/** Last event of the queen's `POST /v1/workers/spawn` stream: the registered worker. */
export const WorkerSpawnedEvent = z.object({ type: z.literal("worker"), worker: RegisteredWorker });
export type WorkerSpawnedEvent = z.infer<typeof WorkerSpawnedEvent>;

/** The sentinel that ends every stream. */
export const SSE_DONE = "[DONE]";

/** What `POST /v2/registry/beehives/install` streams: steps, then `[DONE]` (or an error). */
export const InstallStreamEvent = z.discriminatedUnion("type", [ProgressEvent, ErrorEvent]);
export type InstallStreamEvent = z.infer<typeof InstallStreamEvent>;

/** What `POST /v1/workers/spawn` streams: progress, then the registered worker (or an error). */
export const SpawnStreamEvent = z.discriminatedUnion("type", [ProgressEvent, ErrorEvent, WorkerSpawnedEvent]);
export type SpawnStreamEvent = z.infer<typeof SpawnStreamEvent>;
