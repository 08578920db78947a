import { z } from "zod";
import { NodeName } from "./nodes.js";
import { fieldWithDefault, optionalField } from "./optional.js";

export const WORKER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const WorkerId = z.string().regex(WORKER_ID_PATTERN, "use 1-128 letters, digits, '.', '_' or '-'");

export const WorkerState = z.enum(["loading", "idle", "busy"]);
export type WorkerState = z.infer<typeof WorkerState>;

export const Backend = z.enum(["cpu", "cuda", "metal", "vulkan"]);
export type Backend = z.infer<typeof Backend>;

/**
 * The programs a node can run a model with: node-llama-cpp (the default worker) and llama.cpp's own
 * `llama-server` behind the same worker API; `rpc-server` (llama.cpp's `ggml-rpc-server`) holds a
 * shard of a model split across machines.
 */
export const Engine = z.enum(["node-llama-cpp", "llama-server"]);
export type Engine = z.infer<typeof Engine>;
export const EngineName = z.enum(["node-llama-cpp", "llama-server", "rpc-server"]);
export type EngineName = z.infer<typeof EngineName>;

/** A device of a node that holds part of a split model: which node, its device, the bytes of tensors it holds. */
export const WorkerShard = z.object({
  node_name: NodeName,
  /** The llama.cpp device it serves, e.g. `CPU` or `CUDA0`. */
  device: z.string(),
  /** Bytes of the model's tensors (and KV cache) on it, as its rpc-server reports them; 0 until loaded. */
  bytes: z.number().int().min(0),
});
export type WorkerShard = z.infer<typeof WorkerShard>;

const HttpUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL");

/** A model reference: `hf:org/repo/file.gguf`, `https://…`, `file:/abs.gguf` or a catalog alias. */
export const ModelRef = z
  .string()
  .min(1, "required")
  .max(2048)
  .regex(/^[^\u0000-\u001f\u007f\s]+$/, "must not contain spaces or control characters")
  // A lone UTF-16 surrogate names no file and no URL, and turns into U+FFFD on the way out (UTF-8).
  .refine((ref) => !/\p{Cs}/u.test(ref), "must be valid Unicode (no lone surrogate)");

const Count = z.number().int().min(0).max(1_000_000);

/** A live worker as the seed's WorkerInfo. */
export const WorkerInfo = z.object({
  id: WorkerId,
  url: HttpUrl,
  model_ref: ModelRef,
  backend: Backend,
  device: z.number().int().min(0),
  state: WorkerState,
  slots_total: Count,
  slots_available: Count,
  vram_bytes: z.number().int().min(0).nullable(),
  /** Tokens one slot holds (the model's context as loaded); absent from workers that do not say. */
  context_length: z.number().int().min(1).optional(),
  /** The program that runs the model; absent means node-llama-cpp. */
  engine: Engine.optional(),
  /** A model split across machines: the other nodes' devices that hold part of it (the worker's own node holds the rest). */
  shards: z.array(WorkerShard).optional(),
});
export type WorkerInfo = z.infer<typeof WorkerInfo>;

/** A worker as the queen's registry holds it. */
export const RegisteredWorker = WorkerInfo.extend({
  node_name: z.string(),
  last_heartbeat_unix: z.number().int(),
});
export type RegisteredWorker = z.infer<typeof RegisteredWorker>;

/** The worker's ready callback, `POST /v1/workers/register`. */
export const RegisterWorkerRequest = z
  .strictObject({
    worker_id: WorkerId,
    url: HttpUrl,
    model_ref: ModelRef,
    backend: Backend,
    device: z.number().int().min(0),
    slots_total: Count.min(1),
    slots_available: Count,
    vram_bytes: optionalField(z.number().int().min(0)),
    context_length: optionalField(z.number().int().min(1).max(16_777_216)),
    node_name: optionalField(NodeName),
    state: optionalField(WorkerState),
    engine: optionalField(Engine),
  })
  .refine((w) => w.slots_available <= w.slots_total, {
    message: "must not exceed slots_total",
    path: ["slots_available"],
  });
export type RegisterWorkerRequest = z.infer<typeof RegisterWorkerRequest>;

export const UpdateWorkerRequest = z.strictObject({
  worker_id: WorkerId,
  state: optionalField(WorkerState),
  slots_available: optionalField(Count),
});
export type UpdateWorkerRequest = z.infer<typeof UpdateWorkerRequest>;

export const HeartbeatRequest = z.strictObject({
  worker_id: WorkerId,
  slots_available: optionalField(Count),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const ListWorkersResponse = z.object({ workers: z.array(RegisteredWorker) });
export type ListWorkersResponse = z.infer<typeof ListWorkersResponse>;

/** `POST /v1/workers/spawn` on the queen. */
export const SpawnWorkerRequest = z
  .strictObject({
    node_name: NodeName,
    model_ref: ModelRef,
    backend: fieldWithDefault(Backend, "cpu"),
    device: fieldWithDefault(z.number().int().min(0), 0),
    /** Parallel sequences (requests served at once); default 1. */
    slots: optionalField(z.number().int().min(1).max(64)),
    /** Context length per slot; default the worker's choice. */
    ctx: optionalField(z.number().int().min(16).max(1_048_576)),
    /** CPU threads; default the queen's RBEE_WORKER_THREADS, else the worker's choice (physical cores less one). */
    threads: optionalField(z.number().int().min(1).max(1024)),
    /** The program that runs the model; default node-llama-cpp, llama-server when `shards` are given. */
    engine: optionalField(Engine),
    /** Other nodes that hold part of the model (llama.cpp RPC, tunnelled through the queen); `node_name` runs llama-server. */
    shards: optionalField(z.array(NodeName).min(1).max(16)),
  })
  .superRefine((request, context) => {
    const shards = request.shards ?? [];
    if (shards.length > 0 && request.engine === "node-llama-cpp") {
      context.addIssue({ code: "custom", path: ["shards"], message: "a model split across nodes runs on llama-server, not node-llama-cpp" });
    }
    if (shards.includes(request.node_name)) {
      context.addIssue({ code: "custom", path: ["shards"], message: `${request.node_name} runs llama-server: it cannot also be one of its shards` });
    }
    if (new Set(shards).size !== shards.length) context.addIssue({ code: "custom", path: ["shards"], message: "each shard node may be named once" });
  });
export type SpawnWorkerRequest = z.input<typeof SpawnWorkerRequest>;

/** `GET /health` on a worker (no auth): answers as soon as the process listens. */
export const WorkerHealthResponse = z.object({ status: z.literal("ok"), state: WorkerState });
export type WorkerHealthResponse = z.infer<typeof WorkerHealthResponse>;

/** `GET /v1/ready` on a worker: whether the model is loaded and how many slots are free. */
export const WorkerReadyResponse = z.object({
  ready: z.boolean(),
  state: WorkerState,
  slots_total: Count,
  slots_available: Count,
  model_ref: ModelRef,
  /** The threads llama.cpp evaluates with, once loaded: `--threads`, or the worker's own choice. */
  threads: z.number().int().min(1).optional(),
});
export type WorkerReadyResponse = z.infer<typeof WorkerReadyResponse>;

/** The answer to a worker callback (register, heartbeat, update), from the queen or the hive's relay. */
export const WorkerCallbackResponse = z.object({ ok: z.literal(true) });
export type WorkerCallbackResponse = z.infer<typeof WorkerCallbackResponse>;

/** `POST /v1/admin/shutdown` on a worker (202): it stops once the answer is sent. */
export const WorkerShutdownResponse = z.object({ status: z.literal("stopping") });
export type WorkerShutdownResponse = z.infer<typeof WorkerShutdownResponse>;
