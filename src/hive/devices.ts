import { execFile } from "node:child_process";
import { freemem, totalmem } from "node:os";
import type { Backend, HiveDevices } from "../shared/contract/index.js";

const MIB = 1024 * 1024;
const PROBE_TIMEOUT_MS = 5000;

/** One GPU as `nvidia-smi` reports it. */
export interface GpuInfo {
  readonly backend: Backend;
  readonly device: number;
  readonly name: string;
  readonly total_bytes: number;
  readonly free_bytes: number | null;
}

/** What the node has: the answer of `GET /v1/devices`, plus what capacity checks need. */
export interface NodeDevices extends HiveDevices {
  readonly ram_free_bytes: number;
}

/** Runs a probe command; undefined when it is absent, fails or hangs. */
export type ProbeRunner = (file: string, args: readonly string[]) => Promise<string | undefined>;

const runProbe: ProbeRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: PROBE_TIMEOUT_MS, windowsHide: true }, (error, stdout) => {
      resolve(error ? undefined : stdout);
    });
  });

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits` (MiB). */
export function parseNvidiaSmi(output: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of output.split("\n")) {
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length < 4) continue;
    const [index, name, total, free] = fields as [string, string, string, string];
    const device = Number(index);
    const totalMib = Number(total);
    if (!Number.isInteger(device) || !Number.isFinite(totalMib)) continue;
    const freeMib = Number(free);
    gpus.push({
      backend: "cuda",
      device,
      name,
      total_bytes: totalMib * MIB,
      free_bytes: Number.isFinite(freeMib) && free !== "" ? freeMib * MIB : null,
    });
  }
  return gpus;
}

/** Counts the GPUs `vulkaninfo --summary` lists (it prints one `deviceName = …` per device). */
export function parseVulkanInfo(output: string): GpuInfo[] {
  const names = [...output.matchAll(/^\s*deviceName\s*=\s*(.+)$/gm)].map((match) => (match[1] ?? "").trim());
  return names
    .filter((name) => !/llvmpipe|lavapipe|swiftshader/i.test(name)) // software renderers are not GPUs
    .map((name, device) => ({ backend: "vulkan" as const, device, name, total_bytes: 0, free_bytes: null }));
}

/**
 * Finds the node's compute devices: cpu always; CUDA GPUs through `nvidia-smi`; Metal on Apple
 * silicon; Vulkan GPUs through `vulkaninfo`. Works with none of those tools installed.
 */
export async function detectDevices(probe: ProbeRunner = runProbe): Promise<NodeDevices> {
  const [nvidia, vulkan] = await Promise.all([
    probe("nvidia-smi", ["--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"]),
    probe("vulkaninfo", ["--summary"]),
  ]);
  const gpus: GpuInfo[] = [...(nvidia ? parseNvidiaSmi(nvidia) : []), ...(vulkan ? parseVulkanInfo(vulkan) : [])];
  if (process.platform === "darwin" && process.arch === "arm64") {
    // Apple silicon shares its memory between CPU and GPU.
    gpus.push({ backend: "metal", device: 0, name: "Apple silicon GPU", total_bytes: totalmem(), free_bytes: null });
  }
  const devices: Record<string, number> = { cpu: 1 };
  for (const gpu of gpus) devices[gpu.backend] = (devices[gpu.backend] ?? 0) + 1;
  const order: readonly Backend[] = ["cpu", "cuda", "metal", "vulkan"];
  return {
    backends: order.filter((backend) => (devices[backend] ?? 0) > 0),
    devices,
    ram_bytes: totalmem(),
    ram_free_bytes: freemem(),
    vram: gpus,
  };
}
