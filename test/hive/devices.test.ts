import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HiveDevices } from "../../src/shared/contract/index.js";
import { detectDevices, parseNvidiaSmi } from "../../src/hive/devices.js";
import { DeviceMonitor } from "../../src/hive/gpu/device-monitor.js";

const MIB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "rbee-devices-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("device detection", () => {
  it("parses nvidia-smi's CSV (MiB, %, °C) into cuda devices with live figures, and says which it could not read", () => {
    const gpus = parseNvidiaSmi("0, NVIDIA GeForce RTX 3090, 24576, 1576, 37, 61\n1, NVIDIA RTX A4000, 16376, [N/A], [Not Supported], [N/A]\n", 5);
    expect(gpus).toEqual([
      {
        backend: "cuda",
        device: 0,
        name: "NVIDIA GeForce RTX 3090",
        total_bytes: 24576 * MIB,
        free_bytes: 23000 * MIB,
        used_bytes: 1576 * MIB,
        utilization: 0.37,
        temperature_celsius: 61,
        unavailable: [],
        sampled_unix_ms: 5,
      },
      {
        backend: "cuda",
        device: 1,
        name: "NVIDIA RTX A4000",
        total_bytes: 16376 * MIB,
        free_bytes: null,
        used_bytes: null,
        utilization: null,
        temperature_celsius: null,
        unavailable: ["memory_used", "utilization", "temperature"],
        sampled_unix_ms: 5,
      },
    ]);
    expect(gpus.every((gpu) => HiveDevices.shape.vram.element.safeParse(gpu).success)).toBe(true);
  });

  it("keeps a name with commas whole and skips lines that are not GPUs", () => {
    const gpus = parseNvidiaSmi("NVIDIA-SMI has failed because it couldn't communicate with the driver\n\n0, Tesla, Rev 2, 8192, 0, 0, 30\r\n");
    expect(gpus.map((gpu) => [gpu.name, gpu.total_bytes, gpu.utilization])).toEqual([["Tesla, Rev 2", 8192 * MIB, 0]]);
  });

  it("parses an older hive's devices (no live figures) too", () => {
    const older = { backends: ["cpu", "cuda"], devices: { cpu: 1, cuda: 1 }, ram_bytes: 1, vram: [{ backend: "cuda", device: 0, name: "G", total_bytes: 8, free_bytes: null }] };
    expect(HiveDevices.safeParse(older).success).toBe(true);
  });

  it("reports cuda and vulkan GPUs the tools find, cpu always, and software renderers never", async () => {
    const devices = await detectDevices(async (file) => {
      if (file === "nvidia-smi") return "0, GPU A, 8192, 192, 5, 40\n1, GPU B, 8192, 8092, 99, 80\n";
      if (file === "vulkaninfo") return "GPU0:\n\tdeviceName = GPU A\nGPU1:\n\tdeviceName = llvmpipe (LLVM 15.0.6, 256 bits)\n";
      return undefined;
    });
    expect(HiveDevices.parse(devices)).toMatchObject({ backends: ["cpu", "cuda", "vulkan"], devices: { cpu: 1, cuda: 2, vulkan: 1 } });
    expect(devices.vram.filter((gpu) => gpu.backend === "cuda").map((gpu) => gpu.free_bytes)).toEqual([8000 * MIB, 100 * MIB]);
    expect(devices.vram.find((gpu) => gpu.backend === "vulkan")?.unavailable).toEqual(["memory_used", "utilization", "temperature"]);
  });

  it("works with no GPU tools at all", async () => {
    const devices = await detectDevices(async () => undefined);
    expect(devices.backends).toEqual(process.platform === "darwin" && process.arch === "arm64" ? ["cpu", "metal"] : ["cpu"]);
    expect(devices.ram_bytes).toBeGreaterThan(0);
  });
});

describe("the hive's device monitor", () => {
  it("never runs nvidia-smi when it is not on the PATH", async () => {
    const runs: string[] = [];
    const monitor = new DeviceMonitor({ path: join(dir, "nothing-here"), probe: async (file) => (runs.push(file), undefined) });
    monitor.start();
    expect((await monitor.current()).vram.filter((gpu) => gpu.backend === "cuda")).toEqual([]);
    await monitor.fresh();
    monitor.stop();
    expect(runs).toEqual([]);
  });

  it("polls nvidia-smi found on the PATH, one run at a time, and answers the last figures", async () => {
    const bin = join(dir, "bin");
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin, { recursive: true });
    // A stand-in for the NVIDIA tool (no GPU exists here); the probe below answers for it.
    writeFileSync(join(bin, "nvidia-smi"), "#!/bin/sh\nexit 1\n");
    chmodSync(join(bin, "nvidia-smi"), 0o755);
    let used = 100;
    let running = 0;
    let mostAtOnce = 0;
    const monitor = new DeviceMonitor({
      path: bin,
      intervalMs: 20,
      probe: async (file, args) => {
        expect(file).toBe(join(bin, "nvidia-smi"));
        expect(args.join(" ")).toContain("memory.used,utilization.gpu,temperature.gpu");
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running -= 1;
        used += 100;
        return `0, Fake GPU, 1000, ${used}, 50, 40\n`;
      },
    });
    monitor.start();
    const first = (await monitor.current()).vram[0]?.used_bytes ?? 0;
    await Promise.all([monitor.fresh(), monitor.fresh()]);
    const later = (await monitor.current()).vram[0]?.used_bytes ?? 0;
    monitor.stop();
    expect(first).toBeGreaterThanOrEqual(200 * MIB);
    expect(later).toBeGreaterThan(first);
    expect(mostAtOnce).toBe(1);
  });
});
