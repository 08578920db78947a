import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, release, totalmem } from "node:os";

/** What the numbers were measured on: they mean little without it. */
export function machineInfo(): Record<string, string | number> {
  let cpu = "unknown";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: the model stays unknown.
  }
  return {
    nproc: availableParallelism(),
    cpu,
    node: process.version,
    kernel: release(),
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    load_average_at_start: loadavg().map((load) => load.toFixed(2)).join(" "),
  };
}
