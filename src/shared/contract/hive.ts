import { z } from "zod";
import { NodeName } from "./nodes.js";
import { Backend, ModelRef, WorkerId, WorkerState } from "./workers.js";

export const HiveHealth = z.object({ status: z.literal("alive"), version: z.string() });

/** `GET /v1/devices` on a hive. */
export const HiveDevices = z.object({
  backends: z.array(Backend),
  devices: z.record(z.string(), z.number().int()),
  ram_bytes: z.number(),
  vram: z.array(
    z.object({ backend: Backend, device: z.number().int(), name: z.string(), total_bytes: z.number(), free_bytes: z.number().nullable() }),
  ),
});
export type HiveDevices = z.infer<typeof HiveDevices>;

/** `POST /v1/workers/spawn` on a hive. */
export const HiveSpawnRequest = z.strictObject({
  model_ref: ModelRef,
  backend: Backend.default("cpu"),
  device: z.number().int().min(0).default(0),
  slots: z.number().int().min(1).max(64).optional(),
  ctx: z.number().int().min(16).max(1_048_576).optional(),
  threads: z.number().int().min(1).max(1024).optional(),
  ttl_s: z.number().int().min(1).max(7 * 24 * 3600).optional(),
  // Set by the queen so that it knows the id in advance and can bind a per-spawn callback token to it.
  worker_id: WorkerId.optional(),
  callback_token: z.string().min(16).max(256).optional(),
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
  // The worker's own API token; only holders of the hive token see it.
  token: z.string().optional(),
});
export type HiveWorker = z.infer<typeof HiveWorker>;

export const HiveWorkersResponse = z.object({ workers: z.array(HiveWorker) });
export const HiveStopRequest = z.strictObject({ worker_id: WorkerId });
export const ModelDownloadRequest = z.strictObject({ model_ref: ModelRef });

export const LocalModel = z.object({
  model_ref: z.string(),
  path: z.string(),
  size_bytes: z.number(),
  sha256: z.string().nullable(),
});
export type LocalModel = z.infer<typeof LocalModel>;
export const ModelsListResponse = z.object({ models: z.array(LocalModel) });

/** `POST /v1/callback` on a hive: the queen's current callback address (it changes on reconnect). */
export const HiveCallbackRequest = z.strictObject({
  callback_url: z.string().url().max(2048),
  token: z.string().min(16).max(256),
  // The node's name in the queen's registry: relayed callbacks then carry `node_name`.
  node_name: NodeName.optional(),
});
export type HiveCallbackRequest = z.infer<typeof HiveCallbackRequest>;

/**
 * The spawn progress stream of a hive (`Accept: text/event-stream`): `progress` events, then
 * `spawned` once the process runs, more `progress` while it loads, and `ready` once the worker
 * registered (or `error`), then `[DONE]`.
 */
export const HiveSpawnedEvent = HiveSpawnResponse.extend({ type: z.literal("spawned") });
export type HiveSpawnedEvent = z.infer<typeof HiveSpawnedEvent>;
export const HiveReadyEvent = z.object({ type: z.literal("ready"), worker: HiveWorker });
export type HiveReadyEvent = z.infer<typeof HiveReadyEvent>;
/** Last event of a hive's `POST /v1/models/download` stream: the model now on the node. */
export const HiveModelEvent = z.object({ type: z.literal("model"), model: LocalModel });
