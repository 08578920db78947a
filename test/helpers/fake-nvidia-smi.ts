// A stand-in for `nvidia-smi`: no NVIDIA GPU can exist on the machines the tests run on. It prints
// the CSV the real tool prints for the hive's query, from a file the test rewrites to move the figures.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NVIDIA_SMI_ARGS } from "../../src/hive/gpu/nvidia-smi.js";

/** One GPU's figures, as nvidia-smi's CSV has them (MiB, %, °C; a string for "[N/A]"). */
export interface FakeGpu {
  readonly name: string;
  readonly totalMib: number;
  readonly usedMib: number | string;
  readonly utilizationPercent: number | string;
  readonly temperatureC: number | string;
}

export interface FakeNvidiaSmi {
  /** The directory to put first on the node's PATH. */
  readonly binDir: string;
  /** Changes what the next run prints. */
  set(gpus: readonly FakeGpu[]): void;
}

/** Writes the fake tool into `dir/bin`; it answers only the hive's exact query (anything else exits 6, as the real one does on bad arguments). */
export function installFakeNvidiaSmi(dir: string, gpus: readonly FakeGpu[]): FakeNvidiaSmi {
  const binDir = join(dir, "bin");
  mkdirSync(binDir, { recursive: true });
  const csv = join(dir, "gpus.csv");
  const expected = NVIDIA_SMI_ARGS.join(" ");
  writeFileSync(
    join(binDir, "nvidia-smi"),
    ["#!/bin/sh", `[ "$*" = '${expected}' ] || { echo "fake nvidia-smi: unexpected arguments: $*" >&2; exit 6; }`, `cat '${csv}'`, ""].join("\n"),
  );
  chmodSync(join(binDir, "nvidia-smi"), 0o755);
  const set = (next: readonly FakeGpu[]): void => {
    const lines = next.map((gpu, index) => `${index}, ${gpu.name}, ${gpu.totalMib}, ${gpu.usedMib}, ${gpu.utilizationPercent}, ${gpu.temperatureC}\n`);
    writeFileSync(`${csv}.tmp`, lines.join(""));
    // Renamed into place: a run in the middle of the write never prints half a file.
    renameSync(`${csv}.tmp`, csv);
  };
  set(gpus);
  return { binDir, set };
}
