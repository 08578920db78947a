import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * The machine's physical cores: distinct (physical id, core id) pairs of /proc/cpuinfo on Linux,
 * the logical count elsewhere or when it says nothing about cores (a VM's vCPUs).
 */
export function physicalCores(cpuinfo?: string): number {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return availableParallelism();
    }
  }
  const cores = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const physical = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
  }
  return cores.size > 0 ? cores.size : availableParallelism();
}

/** Threads a CPU program of rbee takes when none are asked: the physical cores less one, at least 1 (like a worker). */
export function defaultThreads(cores: number = physicalCores()): number {
  return Math.max(1, Math.floor(cores) - 1);
}
