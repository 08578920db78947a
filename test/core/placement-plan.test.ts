import { describe, expect, test } from "vitest";
import type { HiveDevices } from "../../src/shared/contract/index.js";
import { COMPUTE_OVERHEAD_BYTES, needBytes, nodeMemory, planPlacement, type NodeMemory } from "../../src/core/placement/plan.js";

const GiB = 1024 ** 3;
const ALL = ["node-llama-cpp", "llama-server", "rpc-server"] as const;

const node = (name: string, freeGiB: number | null, over: Partial<NodeMemory> = {}): NodeMemory => ({
  node_name: name,
  free_bytes: freeGiB === null ? null : Math.round(freeGiB * GiB),
  backend: "cpu",
  device: 0,
  has_model: false,
  engines: [...ALL],
  ...over,
});

const plan = (needGiB: number | null, nodes: NodeMemory[], fetchable = true) =>
  planPlacement({ need_bytes: needGiB === null ? null : Math.round(needGiB * GiB), nodes, fetchable });

describe("planPlacement", () => {
  test("fits one node: the one with the most free memory", () => {
    const outcome = plan(4, [node("a", 6), node("b", 9.8), node("c", 2)]);
    expect(outcome.placement).toEqual({ kind: "single", node_name: "b", backend: "cpu", device: 0, engine: "node-llama-cpp" });
    expect(outcome.fitting).toEqual(["b", "a"]);
    expect(outcome.reason).toBe("Needs 4.0 GiB; b has the most free memory (9.8 GiB)");
  });

  test("prefers a node that has the file over one with more free memory", () => {
    const outcome = plan(4, [node("a", 5, { has_model: true }), node("b", 9.8)]);
    expect(outcome.placement).toMatchObject({ kind: "single", node_name: "a" });
    expect(outcome.reason).toBe("Needs 4.0 GiB; a has the file and 5.0 GiB free");
  });

  test("a holder too small for the model does not win: the node it fits on does", () => {
    expect(plan(4, [node("a", 3, { has_model: true }), node("b", 9.8)]).placement).toMatchObject({ kind: "single", node_name: "b" });
  });

  test("splits greedily by free memory, bytes in proportion to free memory", () => {
    const outcome = plan(14.2, [node("gpu1", 9.8), node("gpu2", 4.4), node("gpu3", 1), node("gpu4", 3)]);
    expect(outcome.placement).toMatchObject({ kind: "split", node_name: "gpu1", backend: "cpu" });
    const split = outcome.placement as Extract<typeof outcome.placement, { kind: "split" }>;
    // The biggest shards first, until the sum fits: gpu2 (4.4) is enough, gpu4 and gpu3 are not used.
    expect(split.shards.map((shard) => shard.node_name)).toEqual(["gpu2"]);
    expect(split.bytes + split.shards[0]!.bytes).toBe(Math.round(14.2 * GiB));
    expect(split.bytes / split.shards[0]!.bytes).toBeCloseTo(9.8 / 4.4, 5);
    expect(outcome.reason).toBe("Needs 14.2 GiB; no node has that much free (most: gpu1, 9.8 GiB), so it is split: gpu1 9.8 GiB + gpu2 4.4 GiB");
    expect(outcome.fitting).toEqual([]);
  });

  test("adds as many shards as it takes, and never gives a node more than it has free", () => {
    const nodes = [node("a", 4), node("b", 3.5), node("c", 3), node("d", 2.5)];
    const outcome = plan(12.9, nodes);
    const split = outcome.placement as Extract<typeof outcome.placement, { kind: "split" }>;
    expect(split.shards.map((shard) => shard.node_name)).toEqual(["b", "c", "d"]);
    const shares = [split.bytes, ...split.shards.map((shard) => shard.bytes)];
    shares.forEach((share, index) => expect(share).toBeLessThanOrEqual(nodes[index]!.free_bytes!));
    expect(shares.reduce((sum, share) => sum + share, 0)).toBe(Math.round(12.9 * GiB));
  });

  test("an exact fit of the sum uses every byte of every node and none more", () => {
    const nodes = [node("a", 1), node("b", 1)];
    const outcome = plan(2, nodes);
    const split = outcome.placement as Extract<typeof outcome.placement, { kind: "split" }>;
    expect([split.bytes, split.shards[0]!.bytes]).toEqual([GiB, GiB]);
  });

  test("the main node of a split is a holder, even with less free memory", () => {
    const outcome = plan(10, [node("big", 8), node("holder", 4, { has_model: true })]);
    expect(outcome.placement).toMatchObject({ kind: "split", node_name: "holder", shards: [{ node_name: "big" }] });
  });

  test("a file: model nobody can fetch: only a holder may be the main node", () => {
    const outcome = plan(10, [node("big", 8), node("holder", 4, { has_model: true, engines: ["node-llama-cpp", "rpc-server"] })], false);
    expect(outcome.placement).toBeNull();
    expect(outcome.reason).toBe("Needs 10.0 GiB; no node has that much free (most: big, 8.0 GiB), and no node that can run llama-server has the file or can get it");
  });

  test("fits nowhere: the reason names the need and the most free memory", () => {
    const outcome = plan(30, [node("gpu1", 9.8), node("gpu2", 4.4)]);
    expect(outcome.placement).toBeNull();
    expect(outcome.reason).toBe("Needs 30.0 GiB; no node has that much free (most: gpu1, 9.8 GiB), and together the nodes that can share it have only 14.2 GiB free");
  });

  test("engine availability: no llama-server means no split; no rpc-server means no shard", () => {
    const noServer = plan(12, [
      node("a", 8, { engines: ["node-llama-cpp", "rpc-server"], engine_detail: { "llama-server": "install cmake and a C++ compiler" } }),
      node("b", 8, { engines: ["node-llama-cpp", "rpc-server"] }),
    ]);
    expect(noServer.placement).toBeNull();
    expect(noServer.reason).toBe("Needs 12.0 GiB; no node has that much free (most: a, 8.0 GiB), and no node can run llama-server to split it (install cmake and a C++ compiler)");

    const oneShard = plan(12, [node("a", 8), node("b", 8, { engines: ["node-llama-cpp"] }), node("c", 5)]);
    expect(oneShard.placement).toMatchObject({ kind: "split", node_name: "a", shards: [{ node_name: "c" }] });

    const noShard = plan(12, [node("a", 8), node("b", 8, { engines: ["node-llama-cpp"] })]);
    expect(noShard.placement).toBeNull();
    expect(noShard.reason).toMatch(/and no other node can run rpc-server to hold a share$/);
  });

  test("a node that fits but runs only llama-server gets it alone with llama-server", () => {
    expect(plan(2, [node("a", 4, { engines: ["llama-server"] })]).placement).toMatchObject({ kind: "single", node_name: "a", engine: "llama-server" });
  });

  test("unreachable nodes and nodes of unknown free memory are left out, whatever they report", () => {
    const outcome = plan(6, [node("far", 64, { note: "unreachable" }), node("old", null, { note: "its hive does not report free RAM" }), node("near", 8)]);
    expect(outcome.placement).toMatchObject({ kind: "single", node_name: "near" });
    expect(outcome.measured).toEqual(["near"]);
    const none = plan(6, [node("far", 64, { note: "unreachable" })]);
    expect(none.placement).toBeNull();
    expect(none.reason).toBe("No node can take it now (far: unreachable)");
    expect(plan(6, []).reason).toBe("No nodes to place it on: add one first");
  });

  test("a model of unknown size goes to a holder, else the most free memory", () => {
    expect(plan(null, [node("a", 2, { has_model: true }), node("b", 8)]).placement).toMatchObject({ kind: "single", node_name: "a" });
    const outcome = plan(null, [node("a", 2), node("b", 8)]);
    expect(outcome.placement).toMatchObject({ kind: "single", node_name: "b" });
    expect(outcome.reason).toMatch(/^Its size is unknown .* so it goes to b, the node with the most free memory \(8\.0 GiB\)$/);
  });
});

describe("needBytes and nodeMemory", () => {
  test("the need is weights + KV cache for ctx × slots + the compute allowance", () => {
    const footprint = { model_ref: "m", weights_bytes: 1000, layers: 8, context_length: 2048, kv_bytes_per_token: 64 };
    expect(needBytes(footprint, 512, 2)).toBe(1000 + 64 * 512 * 2 + COMPUTE_OVERHEAD_BYTES);
  });

  const devices = (over: Partial<HiveDevices> = {}): HiveDevices => ({
    backends: ["cpu", "cuda"],
    devices: { cpu: 1, cuda: 2 },
    ram_bytes: 64 * GiB,
    ram_free_bytes: 30 * GiB,
    vram: [
      { backend: "cuda", device: 0, name: "A", total_bytes: 24 * GiB, free_bytes: 2 * GiB },
      { backend: "cuda", device: 1, name: "B", total_bytes: 24 * GiB, free_bytes: 20 * GiB },
    ],
    engine_status: [
      { engine: "node-llama-cpp", state: "ready", detail: "" },
      { engine: "llama-server", state: "buildable", detail: "built on first use" },
      { engine: "rpc-server", state: "unavailable", detail: "install cmake" },
    ],
    ...over,
  });

  test("a GPU node gives its GPU with the most free VRAM; cpu gives free RAM", () => {
    expect(nodeMemory("g", devices(), true)).toMatchObject({ backend: "cuda", device: 1, free_bytes: 20 * GiB, has_model: true, engines: ["node-llama-cpp", "llama-server"] });
    expect(nodeMemory("g", devices(), false, "cpu")).toMatchObject({ backend: "cpu", device: 0, free_bytes: 30 * GiB });
    expect(nodeMemory("g", devices(), false, "metal")).toMatchObject({ free_bytes: null, note: "no metal GPU with a free-memory figure" });
    expect(nodeMemory("g", devices(), false).engine_detail).toEqual({ "rpc-server": "install cmake" });
  });

  test("an older hive: no free RAM figure is a note, its engines are node-llama-cpp alone", () => {
    const old = nodeMemory("o", { backends: ["cpu"], devices: { cpu: 1 }, ram_bytes: GiB, vram: [] }, false);
    expect(old).toMatchObject({ free_bytes: null, engines: ["node-llama-cpp"], note: "its hive does not report free RAM (update rbee on it)" });
    expect(nodeMemory("n", { backends: ["cpu"], devices: { cpu: 1 }, ram_bytes: GiB, vram: [], engines: ["node-llama-cpp", "rpc-server", "bogus"] }, false).engines).toEqual([
      "node-llama-cpp",
      "rpc-server",
    ]);
  });
});
