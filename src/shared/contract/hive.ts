import { z } from "zod";
import { NodeName } from "./nodes.js";
import { ErrorEvent, ProgressEvent } from "./streams.js";
import { fieldWithDefault, optionalField } from "./optional.js";
import { Backend, Engine, EngineName, ModelRef, WorkerId, WorkerState } from "./workers.js";
import { EngineStatus } from "./engines.js";

/** `GET /v1/health` on a hive (no auth). */
export const HiveHealth = z.object({ status: z.literal("alive"), version: z.string() });
export type HiveHealth = z.infer<typeof HiveHealth>;

/**
 * `RBEE_HOME/hive.json`: written by a hive once it listens (and removed when it stops), read by the
 * queen over SSH to find its port and version. One line of compact JSON: the scripts that stop a
 * hive read `"pid":N` from it with sed. Older hives left `node_name` and `url` out.
 */
export const HiveStateFile = z.object({
  pid: z.number().int().min(1),
  port: z.number().int().min(1).max(65535),
  url: z.string().optional(),
  version: z.string(),
  node_name: NodeName.nullish(),
});
export type HiveStateFile = z.input<typeof HiveStateFile>;

/** A live GPU figure a node's tools cannot give (Metal and Vulkan have no `nvidia-smi`; a card may say "[N/A]"). */
export const GpuFigure = z.enum(["memory_used", "utilization", "temperature"]);
export type GpuFigure = z.infer<typeof GpuFigure>;

/**
 * One GPU of a node. The live figures are optional, so that an older hive's answer still parses:
 * `used_bytes`, `utilization` (0..1) and `temperature_celsius` as last polled; `unavailable` names
 * those the node cannot report (null or absent then); `sampled_unix_ms` says when they were read.
 */
export const HiveGpu = z.object({
  backend: Backend,
  device: z.number().int(),
  name: z.string(),
  total_bytes: z.number(),
  free_bytes: z.number().nullable(),
  used_bytes: z.number().nullable().optional(),
  utilization: z.number().min(0).max(1).nullable().optional(),
  temperature_celsius: z.number().nullable().optional(),
  unavailable: z.array(GpuFigure).optional(),
  sampled_unix_ms: z.number().optional(),
});
export type HiveGpu = z.infer<typeof HiveGpu>;

/** `GET /v1/devices` on a hive. */
export const HiveDevices = z.object({
  backends: z.array(Backend),
  devices: z.record(z.string(), z.number().int()),
  ram_bytes: z.number(),
  /** RAM free now, within RBEE_MEMORY_LIMIT_BYTES when the node sets one (older hives leave it out). */
  ram_free_bytes: z.number().optional(),
  vram: z.array(HiveGpu),
  /** The engines it can run now or after a build on first use (`["node-llama-cpp","llama-server","rpc-server"]`). */
  engines: z.array(z.string()).optional(),
  /** Each engine's state and, where it cannot run, what to install. */
  engine_status: z.array(EngineStatus).optional(),
});
export type HiveDevices = z.infer<typeof HiveDevices>;

/** `POST /v1/workers/spawn` on a hive. */
export const HiveSpawnRequest = z.strictObject({
  model_ref: ModelRef,
  backend: fieldWithDefault(Backend, "cpu"),
  device: fieldWithDefault(z.number().int().min(0), 0),
  slots: optionalField(z.number().int().min(1).max(64)),
  ctx: optionalField(z.number().int().min(16).max(1_048_576)),
  threads: optionalField(z.number().int().min(1).max(1024)),
  ttl_s: optionalField(z.number().int().min(1).max(7 * 24 * 3600)),
  // Set by the queen so that it knows the id in advance and can bind a per-spawn callback token to it.
  worker_id: optionalField(WorkerId),
  callback_token: optionalField(z.string().min(16).max(256)),
  /** Default node-llama-cpp. */
  engine: optionalField(Engine),
  /** llama-server only: rpc-servers reachable from this node's loopback (`127.0.0.1:PORT`), which hold the rest of the model. */
  rpc: optionalField(z.array(z.string().regex(/^127\.0\.0\.1:\d{1,5}$/, "must be 127.0.0.1:PORT")).min(1).max(16)),
  /** llama-server only: the share of the offloaded layers per device, in llama.cpp's device order (`--tensor-split`). */
  tensor_split: optionalField(z.array(z.number().min(0)).min(1).max(17)),
  /** llama-server only: layers to offload to GPU and RPC devices (`--n-gpu-layers`); the rest stay on this node's CPU. */
  gpu_layers: optionalField(z.number().int().min(0).max(1024)),
});
export type HiveSpawnRequest = z.input<typeof HiveSpawnRequest>;

export const HiveSpawnResponse = z.object({
  worker_id: WorkerId,
  url: z.string(),
  pid: z.number().int(),
  state: z.literal("loading"),
  // The worker's own API token (the hive generates one per worker): what a caller of its inference routes presents.
  token: z.string().optional(),
});
export type HiveSpawnResponse = z.infer<typeof HiveSpawnResponse>;

export const HiveWorker = z.object({
  id: WorkerId,
  pid: z.number().int(),
  url: z.string(),
  model_ref: ModelRef,
  backend: Backend,
  device: z.number().int(),
  state: WorkerState,
  slots_total: z.number().int(),
  slots_available: z.number().int(),
  engine: Engine.optional(),
  // The worker's own API token; only holders of the hive token see it.
  token: z.string().optional(),
});
export type HiveWorker = z.infer<typeof HiveWorker>;

/** `GET /v1/workers/list` on a hive. */
export const HiveWorkersResponse = z.object({ workers: z.array(HiveWorker) });
export type HiveWorkersResponse = z.infer<typeof HiveWorkersResponse>;

/** `POST /v1/workers/stop` on a hive, and its answer once the worker is gone. */
export const HiveStopRequest = z.strictObject({ worker_id: WorkerId });
export const HiveStopResponse = z.object({ stopped: z.literal(true), worker_id: WorkerId });
export type HiveStopResponse = z.infer<typeof HiveStopResponse>;

/** `POST /v1/models/download` on a hive. */
export const ModelDownloadRequest = z.strictObject({ model_ref: ModelRef });

export const LocalModel = z.object({
  model_ref: z.string(),
  path: z.string(),
  size_bytes: z.number(),
  sha256: z.string().nullable(),
});
export type LocalModel = z.infer<typeof LocalModel>;

/** `GET /v1/models/list` on a hive: the models downloaded there. */
export const ModelsListResponse = z.object({ models: z.array(LocalModel) });
export type ModelsListResponse = z.infer<typeof ModelsListResponse>;

/** The answer of `POST /v1/models/download` without an event stream. */
export const ModelDownloadResponse = z.object({ model: LocalModel });
export type ModelDownloadResponse = z.infer<typeof ModelDownloadResponse>;

/** `POST /v1/callback` on a hive: the queen's current callback address (it changes on reconnect). */
export const HiveCallbackRequest = z.strictObject({
  callback_url: z.string().url().max(2048),
  token: z.string().min(16).max(256),
  // The node's name in the queen's registry: relayed callbacks then carry `node_name`.
  node_name: optionalField(NodeName),
});
export type HiveCallbackRequest = z.infer<typeof HiveCallbackRequest>;
/** Its answer: how many ready workers the hive now relays to that address. */
export const HiveCallbackResponse = z.object({ ok: z.literal(true), workers: z.number().int().min(0) });
export type HiveCallbackResponse = z.infer<typeof HiveCallbackResponse>;

/**
 * The spawn progress stream of a hive (`Accept: text/event-stream`): `progress` events, then
 * `spawned` once the process runs, more `progress` while it loads, and `ready` once the worker
 * registered (or `error`), then `[DONE]`.
 */
export const HiveSpawnedEvent = HiveSpawnResponse.extend({ type: z.literal("spawned") });
export type HiveSpawnedEvent = z.infer<typeof HiveSpawnedEvent>;
export const HiveReadyEvent = z.object({ type: z.literal("ready"), worker: HiveWorker });
export type HiveReadyEvent = z.infer<typeof HiveReadyEvent>;
/** One event of a hive's spawn stream, as the hive writes it and the queen reads it. */
export const HiveSpawnStreamEvent = z.discriminatedUnion("type", [ProgressEvent, HiveSpawnedEvent, HiveReadyEvent, ErrorEvent]);
export type HiveSpawnStreamEvent = z.infer<typeof HiveSpawnStreamEvent>;

/** `POST /v1/engines/build` on a hive: builds llama-server and ggml-rpc-server for a backend (default the node's own). */
// `engine` names which program the caller waits for; both are built at once.
export const HiveEngineBuildRequest = z.strictObject({ backend: optionalField(Backend), engine: optionalField(EngineName) });
export type HiveEngineBuildRequest = z.input<typeof HiveEngineBuildRequest>;
/** Last event of that stream (and its answer without a stream): llama-server's status after the build. */
export const HiveEngineEvent = z.object({ type: z.literal("engine"), status: EngineStatus });
export type HiveEngineEvent = z.infer<typeof HiveEngineEvent>;
/** One event of that stream: `progress` (stage `build`, with `fraction`) while it compiles, then `engine` (or `error` ENGINE_UNAVAILABLE), then `[DONE]`. */
export const HiveEngineBuildStreamEvent = z.discriminatedUnion("type", [ProgressEvent, HiveEngineEvent, ErrorEvent]);
export type HiveEngineBuildStreamEvent = z.infer<typeof HiveEngineBuildStreamEvent>;

/** The answer of `POST /v1/rpc/stop` on a hive, once the rpc-server is gone. */
export const RpcServerStopResponse = z.object({ stopped: z.literal(true) });
export type RpcServerStopResponse = z.infer<typeof RpcServerStopResponse>;

/** Last event of a hive's `POST /v1/models/download` stream: the model now on the node. */
export const HiveModelEvent = z.object({ type: z.literal("model"), model: LocalModel });
export type HiveModelEvent = z.infer<typeof HiveModelEvent>;
/** One event of that stream: `progress` while it downloads, then `model` (or `error`), then `[DONE]`. */
export const HiveModelStreamEvent = z.discriminatedUnion("type", [ProgressEvent, HiveModelEvent, ErrorEvent]);
export type HiveModelStreamEvent = z.infer<typeof HiveModelStreamEvent>;

/** One model file in a hive's inventory (`GET /v1/models/inventory`). */
export const HiveModelFile = z.object({
  model_ref: z.string(),
  /** Relative to the node's models folder. */
  file: z.string(),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The workers of this hive that have it loaded or are loading it. */
  workers: z.array(WorkerId),
});
export type HiveModelFile = z.infer<typeof HiveModelFile>;

/** A download running on a hive now (a spawn's or a queen's). */
export const HiveDownload = z.object({
  model_ref: z.string(),
  bytes: z.number().int().min(0),
  bytes_total: z.number().int().min(0).optional(),
});
export type HiveDownload = z.infer<typeof HiveDownload>;

/** `GET /v1/models/inventory` on a hive: its model files, free disk of its models folder, running downloads. */
export const HiveInventory = z.object({
  /** The node's models folder (absolute): a file: model of the models routes must be inside it. */
  models_dir: z.string(),
  disk_free_bytes: z.number().int().min(0),
  models: z.array(HiveModelFile),
  downloads: z.array(HiveDownload),
});
export type HiveInventory = z.infer<typeof HiveInventory>;

/** `POST /v1/models/remove` and `POST /v1/models/cancel` on a hive. */
export const HiveModelRequest = z.strictObject({ model_ref: ModelRef });
export const HiveRemoveResponse = z.object({ removed: z.literal(true) });
export type HiveRemoveResponse = z.infer<typeof HiveRemoveResponse>;
export const HiveCancelResponse = z.object({ cancelled: z.boolean() });
export type HiveCancelResponse = z.infer<typeof HiveCancelResponse>;

/**
 * A file a hive is to receive from another node (through the queen): `POST /v1/models/receive/start`
 * answers where to continue; `PUT /v1/models/receive?…` (the same fields plus `offset`) carries the
 * bytes from there. `file` is where it is on the sending node, relative to its models folder.
 */
export const HiveReceiveRequest = z.strictObject({
  model_ref: ModelRef,
  file: z.string().min(1).max(1024),
  bytes: z.coerce.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type HiveReceiveRequest = z.infer<typeof HiveReceiveRequest>;
/** `offset`: the bytes already there (a partial file left by a broken copy); `present`: the whole file already is. */
export const HiveReceiveStart = z.object({ offset: z.number().int().min(0), present: z.boolean() });
export type HiveReceiveStart = z.infer<typeof HiveReceiveStart>;
export const HiveReceiveChunk = HiveReceiveRequest.extend({ offset: z.coerce.number().int().min(0) });

/** The queen's name for the build stream's events. */
export const HiveBuildStreamEvent = HiveEngineBuildStreamEvent;
export type HiveBuildStreamEvent = HiveEngineBuildStreamEvent;
