import type { RegisteredWorker } from "../shared/contract/index.js";
import { bytes } from "./format.js";

/** The columns of `rbee-keeper workers list`. */
export const WORKER_HEADERS = ["ID", "NODE", "MODEL", "DEVICE", "STATE", "SLOTS USED", "VRAM", "SHARDS"] as const;

/** One worker as a row: a split worker's shards as `node:device bytes`, comma-separated ("—" for a worker on one node). */
export function workerRow(worker: RegisteredWorker): string[] {
  const shards = worker.shards?.length ? worker.shards.map((shard) => `${shard.node_name}:${shard.device} ${bytes(shard.bytes)}`).join(", ") : "—";
  return [
    worker.id,
    worker.node_name,
    worker.model_ref,
    `${worker.backend}:${worker.device}${worker.engine === "llama-server" ? " (llama-server)" : ""}`,
    worker.state,
    `${worker.slots_total - worker.slots_available}/${worker.slots_total}`,
    bytes(worker.vram_bytes),
    shards,
  ];
}
