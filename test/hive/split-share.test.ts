import { describe, expect, it } from "vitest";
import { splitShares } from "../../src/hive/split-share.js";
import { freeWithinLimit, memoryLimit, processRssBytes } from "../../src/hive/memory-limit.js";
import { footprintOf } from "../../src/hive/models/model-footprint.js";
import { defaultThreads, physicalCores } from "../../src/hive/cpu-cores.js";
import { engineFlags } from "../../src/hive/worker-child.js";

describe("a split model's share on its main node", () => {
  it("puts every offloaded layer of a CPU node on the rpc-servers", () => {
    expect(splitShares({ backend: "cpu", layers: 8, rpcCount: 1 })).toEqual({ rpc: 1, localGpu: 0, ram: 0 });
    expect(splitShares({ backend: "cpu", layers: 8, gpuLayers: 6, rpcCount: 2, tensorSplit: [1, 1] })).toEqual({ rpc: 0.75, localGpu: 0, ram: 0.25 });
  });

  it("splits a GPU node's offloaded layers by tensor_split, rpc-servers first", () => {
    expect(splitShares({ backend: "cuda", layers: 10, rpcCount: 1, tensorSplit: [3, 1] })).toEqual({ rpc: 0.75, localGpu: 0.25, ram: 0 });
    expect(splitShares({ backend: "cuda", layers: 10, rpcCount: 1 })).toEqual({ rpc: 0.5, localGpu: 0.5, ram: 0 });
    expect(splitShares({ backend: "cpu", layers: 0, rpcCount: 1 })).toEqual({ rpc: 0, localGpu: 0, ram: 1 });
  });
});

describe("RBEE_MEMORY_LIMIT_BYTES", () => {
  it("caps the free RAM to the limit less what rbee holds", () => {
    expect(memoryLimit({})).toBeUndefined();
    expect(memoryLimit({ RBEE_MEMORY_LIMIT_BYTES: " 1048576 " })).toBe(1048576);
    expect(() => memoryLimit({ RBEE_MEMORY_LIMIT_BYTES: "8G" })).toThrow(/whole number of bytes/);
    expect(freeWithinLimit(1000, undefined, 900)).toBe(1000);
    expect(freeWithinLimit(1000, 600, 100)).toBe(500);
    expect(freeWithinLimit(300, 600, 100)).toBe(300);
    expect(freeWithinLimit(1000, 600, 700)).toBe(0);
    expect(processRssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
  });
});

describe("sizes and flags", () => {
  it("computes a footprint's KV bytes per token from layers, heads and KV heads (f16)", () => {
    const shape = { fileBytes: 10_000, dataOffset: 1_000, layers: 8, contextLength: 2048, embedding: 64, heads: 4, headsKv: 2 };
    expect(footprintOf("file:/m.gguf", shape)).toEqual({ model_ref: "file:/m.gguf", weights_bytes: 9_000, layers: 8, context_length: 2048, kv_bytes_per_token: 2 * 8 * 16 * 2 * 2 });
  });

  it("counts physical cores from /proc/cpuinfo and leaves one free", () => {
    const cpuinfo = ["processor : 0\nphysical id : 0\ncore id : 0", "processor : 1\nphysical id : 0\ncore id : 0", "processor : 2\nphysical id : 0\ncore id : 1"].join("\n\n");
    expect(physicalCores(cpuinfo)).toBe(2);
    expect(defaultThreads(2)).toBe(1);
    expect(defaultThreads(1)).toBe(1);
  });

  it("turns a spawn's engine and split into the worker's flags", () => {
    expect(engineFlags({})).toEqual([]);
    expect(engineFlags({ engine: "llama-server", rpc: ["127.0.0.1:5001", "127.0.0.1:5002"], tensorSplit: [1, 0.5], gpuLayers: 99 })).toEqual([
      "--engine", "llama-server", "--rpc", "127.0.0.1:5001,127.0.0.1:5002", "--tensor-split", "1,0.5", "--gpu-layers", "99",
    ]);
  });
});
