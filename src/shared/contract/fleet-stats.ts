import { z } from "zod";
import { HiveDevices } from "./hive.js";

/** How many recent jobs each worker's stats keep (the sparkline's length). */
export const RECENT_JOBS = 20;

/** One finished job of a worker, as its `end` event reported it. */
export const RecentJob = z.object({
  ended_unix_ms: z.number(),
  outcome: z.enum(["ok", "error", "cancelled"]),
  tokens_out: z.number().int().min(0),
  /** Generated tokens per second of decoding; null when it generated too little to tell. */
  tokens_per_s: z.number().min(0).nullable(),
  ttft_ms: z.number().min(0).nullable(),
});
export type RecentJob = z.infer<typeof RecentJob>;

/**
 * One live worker's figures since the queen started: requests it ran (and of them errors), jobs
 * running now, requests waiting in line for its model, and its last jobs, oldest first.
 */
export const WorkerStats = z.object({
  worker_id: z.string(),
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  running: z.number().int().min(0),
  queued: z.number().int().min(0),
  recent: z.array(RecentJob).max(RECENT_JOBS),
});
export type WorkerStats = z.infer<typeof WorkerStats>;

/** The last devices (with live GPU figures) the queen read from one node's hive. */
export const NodeDevicesFigures = z.object({ node_name: z.string(), devices: HiveDevices });
export type NodeDevicesFigures = z.infer<typeof NodeDevicesFigures>;
