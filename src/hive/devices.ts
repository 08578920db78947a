import { execFile } from "node:child_process";
import { freemem, totalmem } from "node:os";
import type { Backend, HiveDevices, HiveGpu } from "../shared/contract/index.js";
import { NVIDIA_SMI_ARGS, parseNvidiaSmi } from "./gpu/nvidia-smi.js";

export { parseNvidiaSmi } from "./gpu/nvidia-smi.js";

const PROBE_TIMEOUT_MS = 5000;

/** One GPU as the node's tools report it. */
export type GpuInfo = HiveGpu;

/** What the node has: the answer of `GET /v1/devices`, plus what capacity checks need. */
export interface NodeDevices extends HiveDevices {
  readonly ram_free_bytes: number;
}

/** Runs a probe command (never through a shell); undefined when it is absent, fails or hangs. */
export type ProbeRunner = (file: string, args: readonly string[]) => Promise<string | undefined>;

/** The default probe: execFile with a timeout, so a hung driver tool never holds the hive. */
export const runProbe: ProbeRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: PROBE_TIMEOUT_MS, windowsHide: true }, (error, stdout) => {
      resolve(error ? undefined : stdout);
    });
  });

/** The GPUs `vulkaninfo --summary` lists (one `deviceName = …` each); it gives no live figures. */
export function parseVulkanInfo(output: string): GpuInfo[] {
  const names = [...output.matchAll(/^\s*deviceName\s*=\s*(.+)$/gm)].map((match) => (match[1] ?? "").trim());
  return names
    .filter((name) => !/llvmpipe|lavapipe|swiftshader/i.test(name)) // software renderers are not GPUs
    .map((name, device) => ({
      backend: "vulkan" as const,
      device,
      name,
      total_bytes: 0,
      free_bytes: null,
      used_bytes: null,
      utilization: null,
      temperature_celsius: null,
      unavailable: ["memory_used", "utilization", "temperature"],
    }));
}

/** Apple silicon's GPU: it shares the machine's memory, whose use is known; its load and temperature are not (no tool without root). */
export function appleSiliconGpu(now: number = Date.now()): GpuInfo | undefined {
  if (process.platform !== "darwin" || process.arch !== "arm64") return undefined;
  const total = totalmem();
  const free = freemem();
  return {
    backend: "metal",
    device: 0,
    name: "Apple silicon GPU",
    total_bytes: total,
    free_bytes: free,
    used_bytes: total - free,
    utilization: null,
    temperature_celsius: null,
    unavailable: ["utilization", "temperature"],
    sampled_unix_ms: now,
  };
}

/** The node's devices from its GPUs: cpu always, then each GPU backend with its count, and RAM now. */
export function assembleDevices(gpus: readonly GpuInfo[]): NodeDevices {
  const devices: Record<string, number> = { cpu: 1 };
  for (const gpu of gpus) devices[gpu.backend] = (devices[gpu.backend] ?? 0) + 1;
  const order: readonly Backend[] = ["cpu", "cuda", "metal", "vulkan"];
  return {
    backends: order.filter((backend) => (devices[backend] ?? 0) > 0),
    devices,
    ram_bytes: totalmem(),
    ram_free_bytes: freemem(),
    vram: [...gpus],
  };
}

/**
 * Finds the node's compute devices once: cpu always; CUDA GPUs through `nvidia-smi`; Metal on Apple
 * silicon; Vulkan GPUs through `vulkaninfo`. Works with none of those tools installed.
 */
export async function detectDevices(probe: ProbeRunner = runProbe): Promise<NodeDevices> {
  const [nvidia, vulkan] = await Promise.all([probe("nvidia-smi", NVIDIA_SMI_ARGS), probe("vulkaninfo", ["--summary"])]);
  const metal = appleSiliconGpu();
  return assembleDevices([
    ...(nvidia ? parseNvidiaSmi(nvidia) : []),
    ...(vulkan ? parseVulkanInfo(vulkan) : []),
    ...(metal ? [metal] : []),
  ]);
}
