import { z } from "zod";
import { ModelTransfer } from "./fleet-models.js";
import { NodeDevicesFigures, WorkerStats } from "./fleet-stats.js";
import { WorkerExit } from "./logs.js";
import { Beehive } from "./nodes.js";
import { RegisteredWorker } from "./workers.js";

/**
 * `GET /v1/events`: snapshots on connect and after each change (with `?deltas=1`, the QueenDelta
 * kinds after the first snapshots instead of whole lists). `downloads`: the running downloads
 * and copies. `worker_stats`: the request figures of the live workers that have any (a worker left
 * out has run nothing), after each job and queue change. `devices`: each ready node's devices with
 * live GPU figures, which the queen reads from the hives every few seconds while someone subscribes.
 */
/** What a delta does to one item: `upsert` (added or changed; the item as it is now) or `remove` (the item as it was last). */
export const DeltaOp = z.enum(["upsert", "remove"]);
export type DeltaOp = z.infer<typeof DeltaOp>;

/**
 * `GET /v1/events?deltas=1` (and the desktop's IPC push): after the snapshots on connect, per-item
 * changes instead of whole lists for workers (key `id`), nodes (key `node_name`) and running
 * transfers (key `kind`+`node_name`+`model_ref`), coalesced per tick (an item changed twice in one
 * tick is sent once, as it is at the end of it). The other kinds stay snapshots. A reader that falls
 * behind is sent fresh snapshots instead of the backlog. A heartbeat that changes nothing but the
 * time is not a change: a pushed worker's `last_heartbeat_unix` is as of its last change (or
 * snapshot), `/v1/workers/list` has the latest.
 */
export const QueenDelta = z.discriminatedUnion("type", [
  z.object({ type: z.literal("worker"), op: DeltaOp, worker: RegisteredWorker }),
  z.object({ type: z.literal("node"), op: DeltaOp, node: Beehive }),
  z.object({ type: z.literal("download"), op: DeltaOp, download: ModelTransfer }),
]);
export type QueenDelta = z.infer<typeof QueenDelta>;

/** The key of a running transfer in deltas and stores: one download or copy per node and model. */
export function transferKey(transfer: Pick<ModelTransfer, "kind" | "node_name" | "model_ref">): string {
  return `${transfer.kind}\u0000${transfer.node_name}\u0000${transfer.model_ref}`;
}

export const QueenEvent = z.discriminatedUnion("type", [
  ...QueenDelta.options,
  z.object({ type: z.literal("nodes"), nodes: z.array(Beehive) }),
  z.object({ type: z.literal("workers"), workers: z.array(RegisteredWorker) }),
  z.object({ type: z.literal("downloads"), downloads: z.array(ModelTransfer) }),
  z.object({ type: z.literal("worker_stats"), stats: z.array(WorkerStats) }),
  z.object({ type: z.literal("devices"), nodes: z.array(NodeDevicesFigures) }),
  /** Workers that died without being stopped, newest first, until dismissed. */
  z.object({ type: z.literal("exits"), exits: z.array(WorkerExit) }),
]);
export type QueenEvent = z.infer<typeof QueenEvent>;
/** The kinds sent as whole lists. */
export type QueenSnapshot = Exclude<QueenEvent, QueenDelta>;

export const HealthResponse = z.object({ status: z.literal("ok"), version: z.string() });
export type HealthResponse = z.infer<typeof HealthResponse>;
