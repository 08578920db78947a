// How a split worker's layers are shared: llama-server's --n-gpu-layers and --tensor-split from
// the nodes' free memory and the model's layer count (a pure function).
import { describe, expect, test } from "vitest";
import { ALL_LAYERS, splitLayers } from "../../src/core/fleet/shard-split.js";

const GiB = 1024 ** 3;

describe("a CPU main node", () => {
  test("keeps a share of the L + 1 layers (the output counts as one) proportional to its free RAM; the shards share the rest by their free bytes", () => {
    // 8 layers + output = 9 units; main has 2 of 2+4+3 = 9 GiB free → 2 units stay on its CPU.
    const plan = splitLayers({ main: { kind: "cpu", freeBytes: 2 * GiB }, shardFreeBytes: [4 * GiB, 3 * GiB], layers: 8 });
    expect(plan).toEqual({ mainLayers: 2, gpuLayers: 7, tensorSplit: [0.5714, 0.4286] });
  });

  test("rounds its own share down: the shards take what does not divide evenly", () => {
    const plan = splitLayers({ main: { kind: "cpu", freeBytes: 1 * GiB }, shardFreeBytes: [1 * GiB], layers: 8 });
    expect(plan).toEqual({ mainLayers: 4, gpuLayers: 5, tensorSplit: [1] });
  });

  test("a main node with most of the memory still leaves every shard a layer", () => {
    const plan = splitLayers({ main: { kind: "cpu", freeBytes: 1000 * GiB }, shardFreeBytes: [1, 1], layers: 2 });
    expect(plan.mainLayers).toBe(1);
    expect(plan.gpuLayers).toBe(2);
  });

  test("without a layer count (an older hive, a file not there yet) everything goes to the shards", () => {
    const plan = splitLayers({ main: { kind: "cpu", freeBytes: 8 * GiB }, shardFreeBytes: [2 * GiB, 6 * GiB], layers: undefined });
    expect(plan).toEqual({ mainLayers: 0, gpuLayers: ALL_LAYERS, tensorSplit: [0.25, 0.75] });
  });

  test("without its free RAM (an older hive) or with none free, everything goes to the shards", () => {
    expect(splitLayers({ main: { kind: "cpu", freeBytes: undefined }, shardFreeBytes: [GiB], layers: 8 })).toEqual({ mainLayers: 0, gpuLayers: ALL_LAYERS, tensorSplit: [1] });
    expect(splitLayers({ main: { kind: "cpu", freeBytes: 0 }, shardFreeBytes: [GiB], layers: 8 }).gpuLayers).toBe(ALL_LAYERS);
  });

  test("a tiny main node keeps nothing: all L + 1 go to the shards", () => {
    const plan = splitLayers({ main: { kind: "cpu", freeBytes: 1 }, shardFreeBytes: [10 * GiB], layers: 8 });
    expect(plan).toEqual({ mainLayers: 0, gpuLayers: 9, tensorSplit: [1] });
  });

  test("shards that report no free memory share equally", () => {
    expect(splitLayers({ main: { kind: "cpu", freeBytes: undefined }, shardFreeBytes: [0, 0, 0, 0], layers: 8 }).tensorSplit).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
});

describe("a GPU main node", () => {
  test("offloads everything; its GPU comes last in the tensor split, after the RPC devices (llama.cpp's device order)", () => {
    const plan = splitLayers({ main: { kind: "gpu", freeBytes: 6 * GiB }, shardFreeBytes: [2 * GiB, 4 * GiB], layers: 32 });
    expect(plan).toEqual({ mainLayers: 0, gpuLayers: ALL_LAYERS, tensorSplit: [0.1667, 0.3333, 0.5] });
  });
});

test("a split without shards is a programming error", () => {
  expect(() => splitLayers({ main: { kind: "cpu", freeBytes: GiB }, shardFreeBytes: [], layers: 8 })).toThrow(RangeError);
});
