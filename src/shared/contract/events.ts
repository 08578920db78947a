import { z } from "zod";
import { WorkerExit } from "./logs.js";
import { Beehive } from "./nodes.js";
import { RegisteredWorker } from "./workers.js";

/** `GET /v1/events`: snapshots on connect and after each change. */
export const QueenEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("nodes"), nodes: z.array(Beehive) }),
  z.object({ type: z.literal("workers"), workers: z.array(RegisteredWorker) }),
  /** Workers that died without being stopped, newest first, until dismissed. */
  z.object({ type: z.literal("exits"), exits: z.array(WorkerExit) }),
]);
export type QueenEvent = z.infer<typeof QueenEvent>;

export const HealthResponse = z.object({ status: z.literal("ok"), version: z.string() });
export type HealthResponse = z.infer<typeof HealthResponse>;
