import { z } from "zod";
import { ModelTransfer } from "./fleet-models.js";
import { NodeDevicesFigures, WorkerStats } from "./fleet-stats.js";
import { WorkerExit } from "./logs.js";
import { Beehive } from "./nodes.js";
import { RegisteredWorker } from "./workers.js";

/**
 * `GET /v1/events`: snapshots on connect and after each change. `downloads`: the running downloads
 * and copies. `worker_stats`: the request figures of the live workers that have any (a worker left
 * out has run nothing), after each job and queue change. `devices`: each ready node's devices with
 * live GPU figures, which the queen reads from the hives every few seconds while someone subscribes.
 */
export const QueenEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("nodes"), nodes: z.array(Beehive) }),
  z.object({ type: z.literal("workers"), workers: z.array(RegisteredWorker) }),
  z.object({ type: z.literal("downloads"), downloads: z.array(ModelTransfer) }),
  z.object({ type: z.literal("worker_stats"), stats: z.array(WorkerStats) }),
  z.object({ type: z.literal("devices"), nodes: z.array(NodeDevicesFigures) }),
  /** Workers that died without being stopped, newest first, until dismissed. */
  z.object({ type: z.literal("exits"), exits: z.array(WorkerExit) }),
]);
export type QueenEvent = z.infer<typeof QueenEvent>;

export const HealthResponse = z.object({ status: z.literal("ok"), version: z.string() });
export type HealthResponse = z.infer<typeof HealthResponse>;
