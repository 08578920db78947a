import { spawnSync } from "node:child_process";
import { parseNvidiaSmi, parseVulkanInfo } from "../../src/hive/devices.js";
import { NVIDIA_SMI_ARGS } from "../../src/hive/gpu/nvidia-smi.js";

/** The GPUs of the machine the tests run on, found with the tools the hive asks (nvidia-smi, vulkaninfo). */
export interface MachineGpus {
  readonly cuda: boolean;
  readonly vulkan: boolean;
  readonly metal: boolean;
  readonly any: boolean;
}

function output(file: string, args: readonly string[]): string {
  const run = spawnSync(file, [...args], { encoding: "utf8", timeout: 10_000 });
  return run.status === 0 ? run.stdout : "";
}

let found: MachineGpus | undefined;

/** Probed once per test file; a machine without the tools has no GPU the hive could use. */
export function machineGpus(): MachineGpus {
  if (found) return found;
  const cuda = parseNvidiaSmi(output("nvidia-smi", NVIDIA_SMI_ARGS)).length > 0;
  const vulkan = parseVulkanInfo(output("vulkaninfo", ["--summary"])).length > 0;
  const metal = process.platform === "darwin" && process.arch === "arm64";
  found = { cuda, vulkan, metal, any: cuda || vulkan || metal };
  return found;
}

/** The title of a test that assumes no GPU: it says why when it is skipped. */
export function titleWithoutGpu(title: string, skipped: boolean): string {
  return skipped ? `${title} (skipped: this machine has a GPU)` : title;
}
