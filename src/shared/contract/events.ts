import { z } from "zod";
import { ModelTransfer } from "./fleet-models.js";
import { Beehive } from "./nodes.js";
import { RegisteredWorker } from "./workers.js";

/** `GET /v1/events`: snapshots on connect and after each change (`downloads`: the running downloads and copies). */
export const QueenEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("nodes"), nodes: z.array(Beehive) }),
  z.object({ type: z.literal("workers"), workers: z.array(RegisteredWorker) }),
  z.object({ type: z.literal("downloads"), downloads: z.array(ModelTransfer) }),
]);
export type QueenEvent = z.infer<typeof QueenEvent>;

export const HealthResponse = z.object({ status: z.literal("ok"), version: z.string() });
export type HealthResponse = z.infer<typeof HealthResponse>;
