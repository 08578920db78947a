import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PlacementPreviewQuery, PlacementPreviewResponse } from "../../src/shared/contract/engines.js";
import { RbeeError } from "../../src/shared/contract/errors.js";
import type { HiveDevices } from "../../src/shared/contract/hive.js";
import { engineOptions, engineProblem, nodeEngines, shardOptions } from "../../src/renderer/lib/engine-choice.js";
import { exitText } from "../../src/renderer/lib/exit-text.js";
import { createPlacementPreviewer, type PreviewState } from "../../src/renderer/lib/placement-previewer.js";
import { describePlacement, placementQuery, splitChoice } from "../../src/renderer/lib/placement-text.js";
import { formatBytes } from "../../src/renderer/lib/format.js";
import { describeProgress } from "../../src/renderer/lib/progress-text.js";
import { changeSpawnForm, toggleShard, validateSpawnForm, type SpawnFormValues } from "../../src/renderer/lib/spawn-form.js";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function devices(engineStatus?: HiveDevices["engine_status"]): HiveDevices {
  return { backends: ["cpu"], devices: { cpu: 1 }, ram_bytes: 16 * GIB, ram_free_bytes: 12 * GIB, vram: [], ...(engineStatus ? { engine_status: engineStatus } : {}) };
}

const BUILDABLE = devices([
  { engine: "node-llama-cpp", state: "ready", detail: "" },
  { engine: "llama-server", state: "buildable", detail: "cmake and c++ found", release: "v0.4.0" },
  { engine: "rpc-server", state: "buildable", detail: "cmake and c++ found", release: "v0.4.0" },
]);
const BARE = devices([
  { engine: "node-llama-cpp", state: "ready", detail: "" },
  { engine: "llama-server", state: "unavailable", detail: "install cmake and a C++ compiler (apt-get install cmake g++)" },
  { engine: "rpc-server", state: "unavailable", detail: "install cmake and a C++ compiler (apt-get install cmake g++)" },
]);
const BUILT = devices([
  { engine: "node-llama-cpp", state: "ready", detail: "" },
  { engine: "llama-server", state: "ready", detail: "", path: "/home/u/.cache/rbee/llama.cpp/v0.4.0-cpu/bin/llama-server" },
  { engine: "rpc-server", state: "ready", detail: "", path: "/home/u/.cache/rbee/llama.cpp/v0.4.0-cpu/bin/ggml-rpc-server" },
]);

const FORM: SpawnFormValues = { node: "a", model: "tiny", backend: "cpu", device: "0", slots: "1", threads: "", ctx: "", engine: "node-llama-cpp", shards: [] };

describe("the engine choice", () => {
  it("offers each engine with its state on the node: ready, built on first use (and how long), or what to install", () => {
    expect(engineOptions(BUILT).map((o) => [o.engine, o.state, o.note, o.disabled])).toEqual([
      ["node-llama-cpp", "ready", "ready", false],
      ["llama-server", "ready", "ready", false],
    ]);
    const buildable = engineOptions(BUILDABLE)[1]!;
    expect(buildable).toMatchObject({ state: "buildable", disabled: false });
    expect(buildable.note).toMatch(/^built on first use \(about 12 minutes on 2 cores/);
    // The hive's own estimate for its cores wins over the one measured here.
    const estimated = devices([{ engine: "llama-server", state: "buildable", detail: "built on first use from llama.cpp v0.4.0 (about 6 minutes on 4 cores)" }]);
    expect(engineOptions(estimated)[1]!.note).toBe("built on first use (about 6 minutes on 4 cores)");
    expect(engineOptions(BARE)[1]).toMatchObject({
      state: "unavailable",
      disabled: true,
      note: "unavailable: install cmake and a C++ compiler (apt-get install cmake g++)",
    });
  });

  it("waits for the node's devices, and tells a hive too old to report engines to be updated", () => {
    expect(engineOptions(null).map((o) => o.state)).toEqual(["unknown", "unknown"]);
    expect(engineOptions(null).every((o) => !o.disabled)).toBe(true);
    const old = engineOptions(devices());
    expect(old[0]).toMatchObject({ state: "ready", disabled: false });
    expect(old[1]).toMatchObject({ state: "unavailable", disabled: true });
    expect(old[1]!.note).toMatch(/update rbee on the node/);
    // A hive that lists its engines without their status still counts them as ready.
    expect(engineOptions({ ...devices(), engines: ["node-llama-cpp", "llama-server"] })[1]).toMatchObject({ state: "ready" });
  });

  it("offers the other nodes to split across, each by its rpc-server; one not ready or without rpc-server says why and is disabled", () => {
    const nodes = [
      { node_name: "a", status: "ready" as const },
      { node_name: "b", status: "ready" as const },
      { node_name: "c", status: "ready" as const },
      { node_name: "d", status: "unreachable" as const },
      { node_name: "e", status: "ready" as const },
    ];
    const of: Record<string, HiveDevices> = { b: BUILT, c: BARE };
    const options = shardOptions(nodes, "a", (name) => of[name] ?? null);
    expect(options.map((o) => [o.node_name, o.state, o.disabled])).toEqual([
      ["b", "ready", false],
      ["c", "unavailable", true],
      ["d", "unavailable", true],
      ["e", "unknown", true],
    ]);
    expect(options[1]!.note).toBe("unavailable: install cmake and a C++ compiler (apt-get install cmake g++)");
    expect(options[2]!.note).toBe("not ready (unreachable)");
    expect(shardOptions(nodes, "a", () => BUILDABLE)[0]!.note).toBe("rpc-server built on first use");
  });

  it("refuses an engine or a shard that cannot run, with what to install", () => {
    const engines = engineOptions(BARE);
    const shards = shardOptions([{ node_name: "b", status: "ready" }], "a", () => BARE);
    expect(engineProblem({ node: "a", engine: "node-llama-cpp", shards: [] }, engines, shards)).toBeNull();
    expect(engineProblem({ node: "a", engine: "llama-server", shards: [] }, engines, shards)).toBe(
      "llama-server cannot run on a: install cmake and a C++ compiler (apt-get install cmake g++)",
    );
    const ok = engineOptions(BUILT);
    expect(engineProblem({ node: "a", engine: "llama-server", shards: ["b"] }, ok, shards)).toBe(
      "b cannot hold part of the model: install cmake and a C++ compiler (apt-get install cmake g++)",
    );
    expect(engineProblem({ node: "a", engine: "llama-server", shards: ["zz"] }, ok, shards)).toMatch(/^zz is not a node/);
    expect(validateSpawnForm({ ...FORM, engine: "llama-server" }, "llama-server cannot run on a: install cmake")).toEqual({
      ok: false,
      message: "llama-server cannot run on a: install cmake",
    });
  });

  it("picking a node to split across chooses llama-server; node-llama-cpp drops the shards; the main node is never its own shard", () => {
    const split = toggleShard(FORM, "b", true);
    expect(split).toMatchObject({ engine: "llama-server", shards: ["b"] });
    expect(toggleShard(toggleShard(split, "c", true), "b", false).shards).toEqual(["c"]);
    expect(changeSpawnForm(toggleShard(split, "c", true), "engine", "node-llama-cpp")).toMatchObject({ engine: "node-llama-cpp", shards: [] });
    expect(changeSpawnForm(toggleShard(split, "c", true), "node", "b").shards).toEqual(["c"]);
    expect(validateSpawnForm(toggleShard(split, "c", true))).toEqual({
      ok: true,
      request: { node_name: "a", model_ref: "tiny", backend: "cpu", device: 0, engine: "llama-server", shards: ["b", "c"] },
    });
    // The default engine is not sent: an older queen takes the request as before.
    expect(validateSpawnForm(FORM)).toEqual({ ok: true, request: { node_name: "a", model_ref: "tiny", backend: "cpu", device: 0 } });
  });

  it("lists a node's engines for the Nodes view: ready, built on first use, or what to install", () => {
    expect(nodeEngines(BUILDABLE).map((e) => [e.engine, e.text])).toEqual([
      ["node-llama-cpp", "ready"],
      ["llama-server", "built on first use (about 12 minutes on 2 cores, less with more)"],
      ["rpc-server", "built on first use (about 12 minutes on 2 cores, less with more)"],
    ]);
    expect(nodeEngines(BUILDABLE)[1]!.title).toMatch(/llama\.cpp v0\.4\.0\nThe first build takes about 12 minutes/);
    expect(nodeEngines(BARE)[2]).toMatchObject({ state: "unavailable", text: "unavailable: install cmake and a C++ compiler (apt-get install cmake g++)" });
    expect(nodeEngines(BUILT)[1]!.title).toBe("/home/u/.cache/rbee/llama.cpp/v0.4.0-cpu/bin/llama-server");
    expect(nodeEngines(devices()).map((e) => e.engine)).toEqual(["node-llama-cpp"]);
  });
});

function preview(overrides: Partial<PlacementPreviewResponse>): PlacementPreviewResponse {
  return {
    model_ref: "file:/m/big.gguf",
    footprint: { model_ref: "file:/m/big.gguf", weights_bytes: 6 * GIB, layers: 32, context_length: 4096, kv_bytes_per_token: 131072 },
    need_bytes: 6 * GIB + 512 * MIB,
    ctx: 2048,
    slots: 2,
    placement: null,
    reason: "",
    nodes: [],
    ...overrides,
  };
}

describe("the placement preview's text", () => {
  it("says one node, its device and engine, and what the model needs", () => {
    const view = describePlacement(
      preview({ placement: { kind: "single", node_name: "a", backend: "cpu", device: 0, engine: "node-llama-cpp" }, reason: "a has 12.0 GiB free" }),
    );
    expect(view).toMatchObject({ kind: "single", headline: "Runs on a alone (cpu, node-llama-cpp)", reason: "a has 12.0 GiB free", parts: [] });
    expect(view.need).toBe("Needs 6.50 GiB: 6.00 GiB of weights + 512 MiB of KV cache (2 slots × 2048 tokens)");
    const withCompute = describePlacement(preview({ need_bytes: 6 * GIB + 608 * MIB, placement: { kind: "single", node_name: "a", backend: "cpu", device: 0, engine: "node-llama-cpp" } }));
    expect(withCompute.need).toBe(`Needs 6.59 GiB: 6.00 GiB of weights + 512 MiB of KV cache (2 slots × 2048 tokens) + ${formatBytes(96 * MIB)} for compute`);
    const gpu = describePlacement(preview({ placement: { kind: "single", node_name: "g", backend: "cuda", device: 1, engine: "llama-server" } }));
    expect(gpu.headline).toBe("Runs on g alone (cuda:1, llama-server)");
  });

  it("says a split with each node's bytes and share, the main node first", () => {
    const view = describePlacement(
      preview({
        placement: {
          kind: "split",
          node_name: "a",
          backend: "cpu",
          bytes: 4 * GIB,
          shards: [
            { node_name: "b", backend: "cpu", device: 0, bytes: 2 * GIB },
            { node_name: "c", backend: "cuda", device: 0, bytes: 2 * GIB },
          ],
        },
        reason: "No node has 6.50 GiB free; a, b and c together have 20 GiB",
        nodes: [
          { node_name: "a", free_bytes: 8 * GIB, backend: "cpu", has_model: true, engines: ["llama-server"] },
          { node_name: "d", free_bytes: null, backend: null, has_model: false, engines: [], note: "unreachable" },
        ],
      }),
    );
    expect(view.kind).toBe("split");
    expect(view.headline).toBe("Split across 3 nodes: a runs llama-server");
    expect(view.parts).toEqual([
      { node_name: "a", backend: "cpu", bytes: 4 * GIB, share: 0.5, role: "main" },
      { node_name: "b", backend: "cpu", bytes: 2 * GIB, share: 0.25, role: "shard" },
      { node_name: "c", backend: "cuda", bytes: 2 * GIB, share: 0.25, role: "shard" },
    ]);
    expect(view.leftOut).toEqual(["d: unreachable"]);
  });

  it("says why a model fits nowhere; without a known size, no need is claimed", () => {
    const view = describePlacement(preview({ reason: "Needs 6.50 GiB; all nodes together have 3.00 GiB free" }));
    expect(view).toMatchObject({ kind: "none", headline: "Fits nowhere", reason: "Needs 6.50 GiB; all nodes together have 3.00 GiB free" });
    const { footprint: _footprint, ...unsized } = preview({ need_bytes: null, reason: "No node has the file" });
    expect(describePlacement(unsized).need).toBeNull();
  });

  it("names a split's nodes as the form takes them", () => {
    expect(
      splitChoice(
        preview({ placement: { kind: "split", node_name: "a", backend: "cpu", bytes: 1, shards: [{ node_name: "b", backend: "cpu", device: 0, bytes: 1 }] } }),
      ),
    ).toEqual({ node: "a", shards: ["b"] });
    expect(splitChoice(preview({}))).toBeNull();
  });

  it("asks for the chosen node and its shards, with the numbers that are valid so far", () => {
    expect(placementQuery({ ...FORM, model: "  " })).toBeNull();
    expect(placementQuery(FORM)).toEqual({ model: "tiny", backend: "cpu", slots: 1, nodes: ["a"] });
    expect(placementQuery({ ...FORM, slots: "4", ctx: "8192", shards: ["b", "c"] })).toEqual({
      model: "tiny",
      backend: "cpu",
      slots: 4,
      ctx: 8192,
      nodes: ["a", "b", "c"],
    });
    expect(placementQuery({ ...FORM, slots: "", ctx: "8" })).toEqual({ model: "tiny", backend: "cpu", nodes: ["a"] });
  });
});

describe("the placement previewer", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  interface Asked {
    readonly query: PlacementPreviewQuery;
    readonly resolve: (answer: PlacementPreviewResponse) => void;
    readonly reject: (error: unknown) => void;
  }

  function harness() {
    const asked: Asked[] = [];
    const states: PreviewState[] = [];
    const previewer = createPlacementPreviewer(
      (query) => new Promise((resolve, reject) => asked.push({ query, resolve, reject })),
      (state) => states.push(state),
      300,
    );
    return { asked, states, previewer, last: () => states.at(-1) };
  }

  const SINGLE = preview({ placement: { kind: "single", node_name: "a", backend: "cpu", device: 0, engine: "node-llama-cpp" }, reason: "fits on a" });

  it("asks once the choices rest, not per keystroke, and not again for the same choices", async () => {
    const h = harness();
    for (const model of ["t", "ti", "tin", "tiny"]) {
      h.previewer.update({ model, nodes: ["a"] });
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(h.asked).toHaveLength(0);
    expect(h.last()).toEqual({ kind: "loading", last: null });
    await vi.advanceTimersByTimeAsync(300);
    expect(h.asked.map((a) => a.query.model)).toEqual(["tiny"]);
    h.asked[0]!.resolve(SINGLE);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.last()).toEqual({ kind: "answer", answer: { preview: SINGLE, elsewhere: null } });
    h.previewer.update({ model: "tiny", nodes: ["a"] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.asked).toHaveLength(1);
    // While the next choices are asked, the last answer stays on screen.
    h.previewer.update({ model: "tiny", nodes: ["a"], slots: 2 });
    expect(h.last()).toEqual({ kind: "loading", last: { preview: SINGLE, elsewhere: null } });
  });

  it("drops an answer to older choices, however late it comes", async () => {
    const h = harness();
    h.previewer.update({ model: "first", nodes: ["a"] });
    await vi.advanceTimersByTimeAsync(300);
    h.previewer.update({ model: "second", nodes: ["a"] });
    await vi.advanceTimersByTimeAsync(300);
    expect(h.asked.map((a) => a.query.model)).toEqual(["first", "second"]);
    const second = { ...SINGLE, model_ref: "second" };
    h.asked[1]!.resolve(second);
    await vi.advanceTimersByTimeAsync(0);
    h.asked[0]!.resolve({ ...SINGLE, model_ref: "first" });
    h.asked[0]!.reject(new Error("late"));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.last()).toEqual({ kind: "answer", answer: { preview: second, elsewhere: null } });
    expect(h.states.filter((s) => s.kind === "answer")).toHaveLength(1);
  });

  it("when the chosen nodes cannot hold it, says where among all nodes it would fit", async () => {
    const h = harness();
    h.previewer.update({ model: "big", nodes: ["a"] });
    await vi.advanceTimersByTimeAsync(300);
    const nowhere = preview({ reason: "a has 3 GiB free" });
    h.asked[0]!.resolve(nowhere);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.asked[1]!.query).toEqual({ model: "big", nodes: undefined });
    const split = preview({ placement: { kind: "split", node_name: "a", backend: "cpu", bytes: GIB, shards: [{ node_name: "b", backend: "cpu", device: 0, bytes: GIB }] } });
    h.asked[1]!.resolve(split);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.last()).toEqual({ kind: "answer", answer: { preview: nowhere, elsewhere: split } });
  });

  it("reports the queen's error with its code, and nothing after it is disposed", async () => {
    const h = harness();
    h.previewer.update({ model: "tiny" });
    await vi.advanceTimersByTimeAsync(300);
    h.asked[0]!.reject(new RbeeError("MODEL_NOT_FOUND", "No node has tiny"));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.last()).toEqual({ kind: "failed", code: "MODEL_NOT_FOUND", message: "No node has tiny" });
    h.previewer.update({ model: "other" });
    h.previewer.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.asked).toHaveLength(1);
    h.previewer.update(null);
    expect(h.last()).toEqual({ kind: "idle" });
  });
});

describe("spawn progress and exits of split workers", () => {
  it("shows a step's fraction when it has no bytes (a build), the bytes when it has both", () => {
    expect(describeProgress({ stage: "build", message: "Building llama-server on a", fraction: 0.426 })).toEqual({
      step: "Building llama.cpp",
      message: "Building llama-server on a",
      fraction: 0.426,
      amount: "42%",
    });
    expect(describeProgress({ stage: "build", message: "x", fraction: 1.5 }).fraction).toBe(1);
    expect(describeProgress({ stage: "download", message: "x", bytes: 1, bytes_total: 4, fraction: 0.9 }).fraction).toBe(0.25);
    expect(describeProgress({ stage: "shard", message: "Starting rpc-server on b" })).toEqual({
      step: "Starting the shards",
      message: "Starting rpc-server on b",
      fraction: null,
      amount: null,
    });
  });

  it("says a worker stopped because part of its model was lost", () => {
    expect(exitText({ code: null, signal: "SIGTERM", phase: "running", error: { code: "SHARD_LOST", message: "b went away" } })).toBe(
      "was stopped: a machine holding part of its model went away",
    );
    expect(exitText({ code: 0, signal: null, phase: "running", error: { code: "WORKER_FAILED", message: "x" } })).toBe("was stopped by the queen (WORKER_FAILED)");
  });
});
