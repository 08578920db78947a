import type { GpuFigure, HiveGpu } from "../../shared/contract/index.js";

const MIB = 1024 * 1024;

/** What the hive asks `nvidia-smi`: one line per GPU, memory in MiB, utilisation in %, temperature in °C. */
export const NVIDIA_SMI_ARGS: readonly string[] = [
  "--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu",
  "--format=csv,noheader,nounits",
];

/** A number nvidia-smi printed, or null for what it could not say ("[N/A]", "[Not Supported]", empty). */
function figure(field: string): number | null {
  if (field === "" || /^\[?(n\/a|not supported|unknown error|insufficient permissions)\]?$/i.test(field)) return null;
  const value = Number(field);
  return Number.isFinite(value) ? value : null;
}

/**
 * Parses the output of `nvidia-smi` with NVIDIA_SMI_ARGS into cuda devices with their live figures.
 * A line that is not a GPU (a warning, a blank) is skipped; a name with commas in it is kept whole.
 */
export function parseNvidiaSmi(output: string, sampledUnixMs: number = Date.now()): HiveGpu[] {
  const gpus: HiveGpu[] = [];
  for (const line of output.split(/\r?\n/)) {
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length < 6) continue;
    const device = Number(fields[0]);
    const [total, used, utilization, temperature] = fields.slice(-4).map(figure) as [number | null, number | null, number | null, number | null];
    if (!Number.isInteger(device) || device < 0 || total === null) continue;
    const usedBytes = used === null ? null : used * MIB;
    const unavailable: GpuFigure[] = [];
    if (usedBytes === null) unavailable.push("memory_used");
    if (utilization === null) unavailable.push("utilization");
    if (temperature === null) unavailable.push("temperature");
    gpus.push({
      backend: "cuda",
      device,
      name: fields.slice(1, -4).join(", "),
      total_bytes: total * MIB,
      free_bytes: usedBytes === null ? null : Math.max(0, total * MIB - usedBytes),
      used_bytes: usedBytes,
      utilization: utilization === null ? null : Math.min(1, Math.max(0, utilization / 100)),
      temperature_celsius: temperature,
      unavailable,
      sampled_unix_ms: sampledUnixMs,
    });
  }
  return gpus;
}
