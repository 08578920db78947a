import type { HiveGpu } from "../../shared/contract/index.js";
import { appleSiliconGpu, assembleDevices, parseVulkanInfo, runProbe, type NodeDevices, type ProbeRunner } from "../devices.js";
import { findOnPath } from "./find-on-path.js";
import { NVIDIA_SMI_ARGS, parseNvidiaSmi } from "./nvidia-smi.js";

/** How often the live GPU figures are read while the hive runs. */
export const DEFAULT_GPU_POLL_MS = 3_000;

export interface DeviceMonitorOptions {
  /** The PATH the tools are looked up in (the hive's own). */
  readonly path: string | undefined;
  readonly intervalMs?: number | undefined;
  readonly probe?: ProbeRunner | undefined;
}

/**
 * The node's devices with live GPU figures: `nvidia-smi` is polled every few seconds while the hive
 * runs, one child at a time (a poll still running when the next is due is not doubled), never when
 * it is not on the PATH; `vulkaninfo` (slow, and static) is asked once. Readers get the last poll.
 */
export class DeviceMonitor {
  private readonly nvidiaSmi: string | undefined;
  private readonly probe: ProbeRunner;
  private readonly vulkan: Promise<readonly HiveGpu[]>;
  private cuda: readonly HiveGpu[] = [];
  private vulkanNow: readonly HiveGpu[] = [];
  private polling: Promise<void> | undefined;
  private first: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DeviceMonitorOptions) {
    this.probe = options.probe ?? runProbe;
    this.nvidiaSmi = findOnPath("nvidia-smi", options.path);
    const vulkaninfo = findOnPath("vulkaninfo", options.path);
    this.vulkan = vulkaninfo
      ? this.probe(vulkaninfo, ["--summary"]).then((output) => (output ? parseVulkanInfo(output) : []))
      : Promise.resolve([]);
  }

  /** Starts polling; the timer never keeps the hive alive. */
  start(): void {
    this.first ??= this.poll();
    if (this.timer || !this.nvidiaSmi) return;
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? DEFAULT_GPU_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The devices as last polled (after the first poll has answered). */
  async current(): Promise<NodeDevices> {
    this.first ??= this.poll();
    await this.first;
    return this.snapshot();
  }

  /** The devices read now (joining a poll under way): what a capacity check before a spawn needs. */
  async fresh(): Promise<NodeDevices> {
    await this.poll();
    return this.snapshot();
  }

  private snapshot(): NodeDevices {
    const metal = appleSiliconGpu();
    return assembleDevices([...this.cuda, ...this.vulkanNow, ...(metal ? [metal] : [])]);
  }

  private poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        this.vulkanNow = await this.vulkan;
        if (!this.nvidiaSmi) return;
        const output = await this.probe(this.nvidiaSmi, NVIDIA_SMI_ARGS);
        // A failed or hung run keeps the last figures (their `sampled_unix_ms` tells their age): the GPUs did not go away.
        if (output !== undefined) this.cuda = parseNvidiaSmi(output);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }
}
