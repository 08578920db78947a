import { z } from "zod";
import { NodeName } from "./nodes.js";
import { optionalField } from "./optional.js";
import { Backend, Engine, EngineName, ModelRef } from "./workers.js";

/**
 * Whether a node can run an engine: `ready` (installed or built), `buildable` (built on first use
 * from the llama.cpp source rbee ships: cmake and a C++ compiler are there), or `unavailable`, with
 * `detail` saying what to install. `path` is the binary a ready engine runs.
 */
export const EngineStatus = z.object({
  engine: EngineName,
  state: z.enum(["ready", "buildable", "unavailable"]),
  detail: z.string(),
  path: z.string().optional(),
  /** The llama.cpp release it is (or would be) built from, e.g. `v0.4.0`. */
  release: z.string().optional(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

/** `POST /v1/rpc/start` on a hive: an rpc-server for a shard, bound to the node's loopback. */
export const RpcServerStartRequest = z.strictObject({
  backend: z.preprocess((value) => value ?? "cpu", Backend),
  device: z.preprocess((value) => value ?? 0, z.number().int().min(0)),
  threads: optionalField(z.number().int().min(1).max(1024)),
  /** The worker it serves (for the hive's listing and its logs). */
  worker_id: optionalField(z.string().min(1).max(128)),
});
export type RpcServerStartRequest = z.input<typeof RpcServerStartRequest>;

/** An rpc-server a hive runs, and what it reports of the tensors it holds (from its own log). */
export const HiveRpcServer = z.object({
  id: z.string(),
  pid: z.number().int(),
  /** Its port on the node's loopback (127.0.0.1): reached only through the queen's tunnels. */
  port: z.number().int().min(1).max(65535),
  backend: Backend,
  device: z.number().int().min(0),
  /** The llama.cpp device name it serves, e.g. `CPU`. */
  device_name: z.string(),
  free_bytes: z.number().int().min(0),
  total_bytes: z.number().int().min(0),
  /** Buffers allocated for its client and tensors written into them. */
  buffer_bytes: z.number().int().min(0),
  tensors: z.number().int().min(0),
  worker_id: z.string().optional(),
});
export type HiveRpcServer = z.infer<typeof HiveRpcServer>;

/** `POST /v1/rpc/stop` on a hive. */
export const RpcServerStopRequest = z.strictObject({ id: z.string().min(1).max(128) });
/** `GET /v1/rpc/list` on a hive. */
export const HiveRpcServersResponse = z.object({ servers: z.array(HiveRpcServer) });
export type HiveRpcServersResponse = z.infer<typeof HiveRpcServersResponse>;

/** What a GGUF file needs in memory, from its header (`GET /v1/models/info` on a hive). */
export const ModelFootprint = z.object({
  model_ref: z.string(),
  /** Bytes of the file's tensors (what the weights take in memory). */
  weights_bytes: z.number().int().min(0),
  layers: z.number().int().min(0),
  /** Context the model was trained for. */
  context_length: z.number().int().min(0),
  /** KV cache bytes per token per sequence (f16 keys and values over all layers). */
  kv_bytes_per_token: z.number().int().min(0),
});
export type ModelFootprint = z.infer<typeof ModelFootprint>;

/** `GET /v2/placement/preview` on the queen. */
export const PlacementPreviewQuery = z.strictObject({
  model: ModelRef,
  slots: z.coerce.number().int().min(1).max(64).optional(),
  ctx: z.coerce.number().int().min(16).max(1_048_576).optional(),
  backend: Backend.optional(),
  /** Only these nodes (comma-separated in a query string); default every node. */
  nodes: z
    .union([z.array(NodeName), z.string().transform((value) => value.split(",").filter((name) => name !== ""))])
    .pipe(z.array(NodeName).max(64))
    .optional(),
});
export type PlacementPreviewQuery = z.input<typeof PlacementPreviewQuery>;

/** One node as the placement saw it. */
export const PlacementNode = z.object({
  node_name: NodeName,
  /** The memory it can give the model now: free VRAM for a GPU backend, free RAM (within RBEE_MEMORY_LIMIT_BYTES) for cpu. */
  free_bytes: z.number().int().min(0).nullable(),
  backend: Backend.nullable(),
  has_model: z.boolean(),
  engines: z.array(EngineName),
  /** Why it was left out, when it was (unreachable, no llama-server, …). */
  note: z.string().optional(),
});
export type PlacementNode = z.infer<typeof PlacementNode>;

/** The placement the queen would choose. */
export const Placement = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("single"), node_name: NodeName, backend: Backend, device: z.number().int().min(0), engine: Engine }),
  z.object({
    kind: z.literal("split"),
    /** Runs llama-server and loads the file; its own device takes `bytes` of the model. */
    node_name: NodeName,
    backend: Backend,
    bytes: z.number().int().min(0),
    shards: z.array(z.object({ node_name: NodeName, backend: Backend, device: z.number().int().min(0), bytes: z.number().int().min(0) })),
  }),
]);
export type Placement = z.infer<typeof Placement>;

export const PlacementPreviewResponse = z.object({
  model_ref: z.string(),
  /** Absent when no node has the file and its size is unknown. */
  footprint: ModelFootprint.optional(),
  /** Weights plus the KV cache for the context and slots asked. */
  need_bytes: z.number().int().min(0).nullable(),
  ctx: z.number().int().min(1),
  slots: z.number().int().min(1),
  /** Null when the model fits nowhere; `reason` says why. */
  placement: Placement.nullable(),
  /** One sentence: why this placement (or why none). */
  reason: z.string(),
  nodes: z.array(PlacementNode),
});
export type PlacementPreviewResponse = z.infer<typeof PlacementPreviewResponse>;
