import { describe, expect, it } from "vitest";
import { HiveDevices } from "../../src/shared/contract/index.js";
import { detectDevices, parseNvidiaSmi } from "../../src/hive/devices.js";

const MIB = 1024 * 1024;

describe("device detection", () => {
  it("parses nvidia-smi's CSV (MiB) into cuda devices", () => {
    expect(parseNvidiaSmi("0, NVIDIA GeForce RTX 3090, 24576, 23000\n1, NVIDIA RTX A4000, 16376, [N/A]\n")).toEqual([
      { backend: "cuda", device: 0, name: "NVIDIA GeForce RTX 3090", total_bytes: 24576 * MIB, free_bytes: 23000 * MIB },
      { backend: "cuda", device: 1, name: "NVIDIA RTX A4000", total_bytes: 16376 * MIB, free_bytes: null },
    ]);
  });

  it("reports cuda and vulkan GPUs the tools find, cpu always, and software renderers never", async () => {
    const devices = await detectDevices(async (file) => {
      if (file === "nvidia-smi") return "0, GPU A, 8192, 8000\n1, GPU B, 8192, 100\n";
      if (file === "vulkaninfo") return "GPU0:\n\tdeviceName = GPU A\nGPU1:\n\tdeviceName = llvmpipe (LLVM 15.0.6, 256 bits)\n";
      return undefined;
    });
    expect(HiveDevices.parse(devices)).toMatchObject({ backends: ["cpu", "cuda", "vulkan"], devices: { cpu: 1, cuda: 2, vulkan: 1 } });
    expect(devices.vram.filter((gpu) => gpu.backend === "cuda").map((gpu) => gpu.free_bytes)).toEqual([8000 * MIB, 100 * MIB]);
  });

  it("works with no GPU tools at all", async () => {
    const devices = await detectDevices(async () => undefined);
    expect(devices.backends).toEqual(process.platform === "darwin" && process.arch === "arm64" ? ["cpu", "metal"] : ["cpu"]);
    expect(devices.ram_bytes).toBeGreaterThan(0);
  });
});
