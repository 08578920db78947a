import { describe, expect, test } from "vitest";
import type { Beehive, RegisteredWorker } from "../../src/shared/contract/index.js";
import { schedule, spawnKey } from "../../src/core/scheduling/scheduler.js";
import { planPlacement, type NodeMemory } from "../../src/core/placement/plan.js";

const node = (name: string, status: Beehive["status"] = "ready"): Beehive => ({
  node_name: name,
  ssh_host: `${name}.lan`,
  ssh_port: 22,
  ssh_user: "me",
  ssh_key_path: null,
  git_repo_url: "https://example.invalid/rbee.git",
  git_branch: "main",
  install_path: "~/rbee",
  last_connected_unix: 1,
  status,
  transport: "ssh",
});

const worker = (id: string, over: Partial<RegisteredWorker> = {}): RegisteredWorker => ({
  id,
  url: "http://127.0.0.1:9000",
  model_ref: "tinyllama",
  backend: "cpu",
  device: 0,
  state: "idle",
  slots_total: 2,
  slots_available: 2,
  vram_bytes: null,
  node_name: "a",
  last_heartbeat_unix: 1,
  ...over,
});

describe("schedule", () => {
  test("reuses an idle worker with the model, preferring the most free slots", () => {
    const workers = [worker("w1", { slots_available: 1 }), worker("w2"), worker("w3", { model_ref: "other" })];
    expect(schedule({ model: "tinyllama" }, [node("a")], workers)).toMatchObject({ kind: "reuse", worker: { id: "w2" } });
  });

  test("prefers idle over busy, uses a busy worker's free slot, never a loading one", () => {
    const busy = worker("busy", { state: "busy", slots_available: 1 });
    const loading = worker("loading", { state: "loading" });
    expect(schedule({ model: "tinyllama" }, [node("a")], [busy, worker("idle", { slots_available: 1 })])).toMatchObject({ worker: { id: "idle" } });
    expect(schedule({ model: "tinyllama" }, [node("a")], [busy, loading])).toMatchObject({ worker: { id: "busy" } });
  });

  test("prefers the worker with the strongest affinity among those with a free slot, busy or not", () => {
    const idle = worker("a-idle");
    const holder = worker("b-holder", { state: "busy", slots_available: 1 });
    const full = worker("c-full", { state: "busy", slots_available: 0 });
    const place = (affinity: Map<string, number>) => schedule({ model: "tinyllama", affinity }, [node("a")], [idle, holder, full]);
    expect(place(new Map())).toMatchObject({ worker: { id: "a-idle" } });
    expect(place(new Map([["b-holder", 10]]))).toMatchObject({ worker: { id: "b-holder" } });
    expect(place(new Map([["b-holder", 10], ["a-idle", Number.POSITIVE_INFINITY]]))).toMatchObject({ worker: { id: "a-idle" } });
    // The worker holding the conversation has no free slot: the usual choice.
    expect(place(new Map([["c-full", Number.POSITIVE_INFINITY]]))).toMatchObject({ worker: { id: "a-idle" } });
  });

  test("among equal workers, the one given a job longest ago goes first, so new conversations spread", () => {
    const workers = [worker("w1"), worker("w2")];
    const place = (lastAssigned: Map<string, number>) => schedule({ model: "tinyllama", lastAssigned }, [node("a")], workers);
    expect(place(new Map())).toMatchObject({ worker: { id: "w1" } });
    expect(place(new Map([["w1", 5]]))).toMatchObject({ worker: { id: "w2" } });
    expect(place(new Map([["w1", 5], ["w2", 6]]))).toMatchObject({ worker: { id: "w1" } });
  });

  test("waits instead of spawning again while workers with the model are full or loading, or one is being spawned", () => {
    const full = worker("full", { state: "busy", slots_available: 0 });
    const loading = worker("loading", { state: "loading" });
    expect(schedule({ model: "tinyllama" }, [node("a")], [full])).toMatchObject({ kind: "wait" });
    expect(schedule({ model: "tinyllama" }, [node("a")], [loading])).toMatchObject({ kind: "wait" });
    expect(schedule({ model: "tinyllama" }, [node("a")], [], new Set([spawnKey("a", "tinyllama")]))).toMatchObject({ kind: "wait" });
    // Another model, or a worker on another node than the one asked for, does not make it wait.
    expect(schedule({ model: "other" }, [node("a")], [full], new Set([spawnKey("a", "tinyllama")]))).toMatchObject({ kind: "spawn" });
    expect(schedule({ model: "tinyllama", node: "b" }, [node("a"), node("b")], [full])).toMatchObject({ kind: "spawn", node: { node_name: "b" } });
  });

  test("respects the requested node for reuse and spawn", () => {
    const workers = [worker("on-a"), worker("on-b", { node_name: "b" })];
    expect(schedule({ model: "tinyllama", node: "b" }, [node("a"), node("b")], workers)).toMatchObject({ worker: { id: "on-b" } });
    expect(schedule({ model: "tinyllama", node: "c" }, [node("a"), node("c", "reachable")], workers)).toMatchObject({ kind: "spawn", node: { node_name: "c" } });
    expect(schedule({ model: "tinyllama", node: "zz" }, [node("a")], [])).toEqual({
      kind: "none",
      reason: 'No node named "zz": this queen knows a; see the list with `rbee-keeper setup list-nodes` or add one with `rbee-keeper setup add-node`',
      unknownNode: true,
    });
    expect(schedule({ model: "tinyllama", node: "gpu-bx" }, [node("a"), node("gpu-box")], [])).toMatchObject({
      kind: "none",
      reason: expect.stringMatching(/^No node named "gpu-bx" \(did you mean "gpu-box"\?\): this queen knows a, gpu-box;/),
    });
    expect(schedule({ model: "m", node: "a" }, [node("a", "installing")], [])).toMatchObject({ kind: "none", reason: expect.stringMatching(/installing/) });
  });

  test("spawns on the best node: ready first, then least busy, then fewest workers, then name", () => {
    const nodes = [node("c", "reachable"), node("b"), node("a"), node("d", "unreachable")];
    const workers = [worker("x", { node_name: "a", model_ref: "other", slots_available: 0, state: "busy" })];
    expect(schedule({ model: "tinyllama" }, nodes, workers)).toMatchObject({ kind: "spawn", node: { node_name: "b" } });
    expect(schedule({ model: "tinyllama" }, [node("c", "reachable"), node("d", "unreachable")], [])).toMatchObject({ node: { node_name: "c" } });
    expect(schedule({ model: "tinyllama" }, [node("b"), node("a")], [worker("y", { node_name: "a", model_ref: "other" })])).toMatchObject({ node: { node_name: "b" } });
  });

  test("spawns where the model's file already is before a node that would fetch it; a pinned node stays pinned", () => {
    const nodes = [node("a"), node("b"), node("c", "reachable")];
    expect(schedule({ model: "m" }, nodes, [])).toMatchObject({ kind: "spawn", node: { node_name: "a" } });
    expect(schedule({ model: "m", holders: new Set(["b"]) }, nodes, [])).toMatchObject({ kind: "spawn", node: { node_name: "b" } });
    // Having the file counts before being ready: a reachable node with it beats ready ones without.
    expect(schedule({ model: "m", holders: new Set(["c"]) }, nodes, [])).toMatchObject({ kind: "spawn", node: { node_name: "c" } });
    expect(schedule({ model: "m", node: "a", holders: new Set(["b"]) }, nodes, [])).toMatchObject({ kind: "spawn", node: { node_name: "a" } });
  });

  test("says why when nothing fits", () => {
    expect(schedule({ model: "m" }, [], [])).toEqual({ kind: "none", reason: "No nodes registered: add one first" });
    expect(schedule({ model: "m" }, [node("a", "unreachable"), node("b", "unknown")], [])).toEqual({ kind: "none", reason: "No node is reachable or ready" });
  });
});

describe("schedule with a memory plan", () => {
  const GiB = 1024 ** 3;
  const memory = (name: string, freeGiB: number, over: Partial<NodeMemory> = {}): NodeMemory => ({
    node_name: name,
    free_bytes: freeGiB * GiB,
    backend: "cpu",
    device: 0,
    has_model: false,
    engines: ["node-llama-cpp", "llama-server", "rpc-server"],
    ...over,
  });
  const planFor = (needGiB: number, nodes: NodeMemory[]) => planPlacement({ need_bytes: needGiB * GiB, nodes, fetchable: true });

  test("a spawn goes to a node the model fits on, even when another has fewer busy slots", () => {
    const plan = planFor(6, [memory("a", 8), memory("b", 4)]);
    const busyOnA = [worker("w1", { node_name: "a", model_ref: "other", slots_available: 0 })];
    expect(schedule({ model: "big", plan }, [node("a"), node("b")], busyOnA)).toMatchObject({ kind: "spawn", node: { node_name: "a" } });
  });

  test("a model that fits no single node is spawned split as the plan says", () => {
    const plan = planFor(10, [memory("a", 6), memory("b", 5)]);
    const decision = schedule({ model: "big", plan }, [node("a"), node("b")], []);
    expect(decision).toEqual({ kind: "spawn", node: node("a"), shards: ["b"] });
    // While it is being spawned, the next request for it waits instead of starting another split.
    expect(schedule({ model: "big", plan }, [node("a"), node("b")], [], new Set([spawnKey("a", "big")]))).toMatchObject({ kind: "wait" });
  });

  test("a model that fits nowhere fails with the plan's reason", () => {
    const plan = planFor(30, [memory("a", 6), memory("b", 5)]);
    expect(schedule({ model: "huge", plan }, [node("a"), node("b")], [])).toEqual({ kind: "none", reason: plan.reason });
    expect(plan.reason).toMatch(/^Needs 30\.0 GiB; no node has that much free \(most: a, 6\.0 GiB\)/);
  });

  test("a node whose memory could not be read is tried before failing; a split comes first", () => {
    const nowhere = planFor(30, [memory("a", 6), memory("far", 0, { free_bytes: null, note: "its hive is not open" })]);
    expect(schedule({ model: "huge", plan: nowhere }, [node("a"), node("far")], [])).toMatchObject({ kind: "spawn", node: { node_name: "far" } });
    const split = planFor(10, [memory("a", 6), memory("b", 5), memory("far", 0, { free_bytes: null, note: "its hive is not open" })]);
    expect(schedule({ model: "big", plan: split }, [node("a"), node("b"), node("far")], [])).toMatchObject({ kind: "spawn", node: { node_name: "a" }, shards: ["b"] });
  });

  test("a plan of unknown size and an explicit node leave the choice as before", () => {
    const unknown = planPlacement({ need_bytes: null, nodes: [memory("a", 1)], fetchable: true });
    expect(schedule({ model: "m", plan: unknown }, [node("a"), node("b")], [worker("w", { node_name: "a", model_ref: "x" })])).toMatchObject({
      kind: "spawn",
      node: { node_name: "b" },
    });
    const nowhere = planFor(30, [memory("a", 6)]);
    expect(schedule({ model: "huge", node: "a", plan: nowhere }, [node("a")], [])).toMatchObject({ kind: "spawn", node: { node_name: "a" } });
  });
});
