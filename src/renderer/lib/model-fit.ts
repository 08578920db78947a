import type { HiveDevices } from "../../shared/contract/hive.js";
import { formatBytes } from "./format.js";

/** Whether a model can run on a machine: comfortably, only just, not at all, or unknown. */
export type FitKind = "fits" | "tight" | "too-big" | "unknown";

/** A fit verdict as the model pickers show it: a word and the numbers behind it. */
export interface FitVerdict {
  readonly kind: FitKind;
  /** One or two words: "fits", "tight", "too big". */
  readonly label: string;
  /** The numbers behind it, in a sentence. */
  readonly detail: string;
}

// A model takes about its file in memory, plus the KV cache and buffers of its context: 10 % more
// (as the hive counts it) and a fixed allowance for a default context.
const LOAD_OVERHEAD = 1.1;
const CONTEXT_ALLOWANCE_BYTES = 512 * 1024 ** 2;
// The OS and the user's other programs keep part of the RAM; a GPU's memory is mostly the model's.
const RAM_COMFORTABLE = 0.5;
const RAM_AT_MOST = 0.8;
const VRAM_AT_MOST = 0.9;

/** The memory a model of `sizeBytes` needs to load and answer, roughly. */
export function memoryNeeded(sizeBytes: number): number {
  return Math.ceil(sizeBytes * LOAD_OVERHEAD) + CONTEXT_ALLOWANCE_BYTES;
}

/**
 * Whether a model of `sizeBytes` fits a machine with `devices`: in the largest GPU's memory when it
 * has one big enough, else in RAM (comfortably within half of it, tight up to 80 %, else too big).
 * Unknown without a size or the machine's figures.
 */
export function modelFit(sizeBytes: number | undefined, devices: HiveDevices | null): FitVerdict {
  if (sizeBytes === undefined || !devices || devices.ram_bytes <= 0) {
    return { kind: "unknown", label: "fit unknown", detail: sizeBytes === undefined ? "Its size is not known" : "This computer's memory is not known yet" };
  }
  const needed = memoryNeeded(sizeBytes);
  const needs = `Needs about ${formatBytes(needed)}`;
  const gpu = [...devices.vram].sort((a, b) => b.total_bytes - a.total_bytes)[0];
  if (gpu && needed <= gpu.total_bytes * VRAM_AT_MOST) {
    return { kind: "fits", label: "fits", detail: `${needs}; ${gpu.name} has ${formatBytes(gpu.total_bytes)} VRAM` };
  }
  const ram = `this computer has ${formatBytes(devices.ram_bytes)} RAM`;
  const onGpu = gpu ? ` (too much for ${gpu.name}'s ${formatBytes(gpu.total_bytes)} VRAM: it runs on the CPU)` : "";
  if (needed <= devices.ram_bytes * RAM_COMFORTABLE) return { kind: "fits", label: "fits", detail: `${needs}; ${ram}${onGpu}` };
  if (needed <= devices.ram_bytes * RAM_AT_MOST) {
    return { kind: "tight", label: "tight", detail: `${needs}; ${ram}: close other programs first${onGpu}` };
  }
  return { kind: "too-big", label: "too big", detail: `${needs}; ${ram}` };
}
