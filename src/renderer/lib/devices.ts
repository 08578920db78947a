import type { HiveDevices } from "../../shared/contract/hive.js";
import { formatBytes } from "./format.js";

/** One line for a node's hardware: "cpu · 2× cuda · 31.3 GiB RAM". */
export function devicesSummary(devices: HiveDevices): string {
  const backends = devices.backends.map((backend) => {
    const count = devices.devices[backend] ?? 0;
    return backend !== "cpu" && count > 1 ? `${count}× ${backend}` : backend;
  });
  return [...backends, `${formatBytes(devices.ram_bytes)} RAM`].join(" · ");
}

/** The GPUs one per line, with free VRAM where the node reports it. */
export function devicesTitle(devices: HiveDevices): string {
  if (devices.vram.length === 0) return "No GPU found";
  return devices.vram
    .map((gpu) => {
      const free = gpu.free_bytes === null ? "" : `, ${formatBytes(gpu.free_bytes)} free`;
      return `${gpu.backend}:${gpu.device} ${gpu.name} — ${formatBytes(gpu.total_bytes)}${free}`;
    })
    .join("\n");
}
