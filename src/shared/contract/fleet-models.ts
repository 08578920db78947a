import { z } from "zod";
import { ErrorCode } from "./errors.js";
import { NodeName } from "./nodes.js";
import { ErrorEvent, ProgressEvent } from "./streams.js";
import { ModelRef, WorkerId } from "./workers.js";

/** One model file on one node, as `GET /v2/models/list` reports it. */
export const NodeModel = z.object({
  /** The reference the node's catalog knows it by (an alias resolved: `hf:…`, `https://…` or `file:/…`). */
  model_ref: z.string(),
  /** Where it is, relative to the node's models folder (`RBEE_HOME/models`). */
  file: z.string(),
  bytes: z.number().int().min(0),
  /** Known once downloaded with a digest, copied, or hashed; absent while unknown. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The workers that have this file loaded. */
  workers: z.array(WorkerId),
});
export type NodeModel = z.infer<typeof NodeModel>;

/** Why a node's models could not be listed. */
export const NodeModelsError = z.object({ code: ErrorCode, message: z.string() });

/** One node's models and free disk; `error` (and no models) when the node could not be asked. */
export const NodeModels = z.object({
  node_name: NodeName,
  disk_free_bytes: z.number().int().min(0).optional(),
  models: z.array(NodeModel),
  error: NodeModelsError.optional(),
});
export type NodeModels = z.infer<typeof NodeModels>;

/** `GET /v2/models/list`: every node, or only `node`. */
export const ListModelsQuery = z.strictObject({ node: NodeName.optional() });
export const ListModelsResponse = z.object({ nodes: z.array(NodeModels) });
export type ListModelsResponse = z.infer<typeof ListModelsResponse>;

/** One model on one node: download, cancel, remove. */
export const NodeModelRequest = z.strictObject({ node_name: NodeName, model_ref: ModelRef });
export type NodeModelRequest = z.infer<typeof NodeModelRequest>;

/** `POST /v2/models/copy`: a file from one node to another, through the queen. */
export const CopyModelRequest = z
  .strictObject({ model_ref: ModelRef, from_node: NodeName, to_node: NodeName })
  .refine((request) => request.from_node !== request.to_node, { message: "from_node and to_node must differ", path: ["to_node"] });
export type CopyModelRequest = z.infer<typeof CopyModelRequest>;

export const RemoveModelResponse = z.object({ removed: z.literal(true) });
/** `cancelled: false` when no download of that model ran on that node. */
export const CancelDownloadResponse = z.object({ cancelled: z.boolean() });

/** Last event of a download or copy stream: the model now on the node. */
export const ModelEvent = z.object({ type: z.literal("model"), node_name: NodeName, model: NodeModel });
export type ModelEvent = z.infer<typeof ModelEvent>;

/** What `POST /v2/models/download` and `/v2/models/copy` stream: progress, then `model` (or `error`), then `[DONE]`. */
export const ModelStreamEvent = z.discriminatedUnion("type", [ProgressEvent, ModelEvent, ErrorEvent]);
export type ModelStreamEvent = z.infer<typeof ModelStreamEvent>;

/** A download or copy running now (`/v1/events` `downloads`), whoever started it. */
export const ModelTransfer = z.object({
  kind: z.enum(["download", "copy"]),
  node_name: NodeName,
  model_ref: z.string(),
  /** The node a copy reads from. */
  from_node: NodeName.optional(),
  bytes: z.number().int().min(0),
  bytes_total: z.number().int().min(0).optional(),
});
export type ModelTransfer = z.infer<typeof ModelTransfer>;
