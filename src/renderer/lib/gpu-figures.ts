import type { GpuFigure, HiveGpu } from "../../shared/contract/hive.js";
import { formatBytes } from "./format.js";

/** One GPU's live figures as the Nodes view words them; "—" for what the node cannot tell, with why. */
export interface GpuFiguresText {
  readonly label: string;
  readonly memory: string;
  readonly load: string;
  readonly temperature: string;
  /** The memory bar: used of total, or null when either is unknown. */
  readonly bar: { readonly used: number; readonly total: number } | null;
  readonly missing: string | null;
}

const FIGURE_NAMES: Record<GpuFigure, string> = { memory_used: "memory use", utilization: "load", temperature: "temperature" };

/** Words one GPU's figures (pure). */
export function gpuFiguresText(gpu: HiveGpu): GpuFiguresText {
  const used = gpu.used_bytes ?? null;
  const total = gpu.total_bytes > 0 ? gpu.total_bytes : null;
  const memory = used !== null && total !== null ? `${formatBytes(used)} / ${formatBytes(total)}` : total !== null ? `${formatBytes(total)}` : "—";
  const unavailable = gpu.unavailable ?? [];
  return {
    label: `${gpu.backend}:${gpu.device} ${gpu.name}`,
    memory,
    load: gpu.utilization === null || gpu.utilization === undefined ? "—" : `${Math.round(gpu.utilization * 100)}%`,
    temperature: gpu.temperature_celsius === null || gpu.temperature_celsius === undefined ? "—" : `${Math.round(gpu.temperature_celsius)} °C`,
    bar: used !== null && total !== null ? { used, total } : null,
    missing: unavailable.length > 0 ? `This node's tools do not report its ${unavailable.map((figure) => FIGURE_NAMES[figure]).join(", ")}` : null,
  };
}
