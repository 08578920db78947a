import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transferKey, type QueenDelta, type QueenEvent } from "../../src/shared/contract/events.js";
import type { ModelTransfer } from "../../src/shared/contract/fleet-models.js";
import type { Beehive, RegisteredWorker, WorkerState } from "../../src/shared/contract/index.js";
import { applyEvent, INITIAL_FLEET_STATE, type FleetState } from "../../src/renderer/state/fleet-store.js";
import { deviceKey } from "../../src/renderer/state/device-vram.js";
import type { KeyedList } from "../../src/renderer/state/keyed-list.js";
import { node, worker } from "../helpers/fleet-rows.js";

// Small pools of keys and values: random deltas keep hitting items that exist, move workers between
// nodes (their place in the order changes) and now and then bring an item equal to the one held.
const NODE_NAMES = Array.from({ length: 12 }, (_, i) => `node-${i}`).concat(["Mac", "mac", "ämac", "gpu-10", "gpu-9"]);
const WORKER_IDS = Array.from({ length: 40 }, (_, i) => `w-${i}`).concat(["W-1", "a"]);
const MODELS = ["hf:a/b/one.gguf", "hf:a/b/two.gguf", "tinyllama"];
const STATES: readonly WorkerState[] = ["loading", "idle", "busy"];

const workerArb = fc
  .record({
    id: fc.constantFrom(...WORKER_IDS),
    node_name: fc.constantFrom(...NODE_NAMES),
    state: fc.constantFrom(...STATES),
    slots: fc.integer({ min: 0, max: 2 }),
    device: fc.integer({ min: 0, max: 1 }),
    vram: fc.constantFrom(null, 0, 1_000, 3_000),
  })
  .map(({ id, node_name, state, slots, device, vram }): RegisteredWorker => ({ ...worker(id, state), node_name, device, vram_bytes: vram, slots_total: 2, slots_available: slots }));
const nodeArb = fc
  .record({ name: fc.constantFrom(...NODE_NAMES), status: fc.constantFrom("unknown", "ready", "unreachable" as const), seen: fc.option(fc.integer({ min: 1, max: 3 })) })
  .map(({ name, status, seen }): Beehive => ({ ...node(name, status), last_connected_unix: seen }));
const transferArb = fc
  .record({ kind: fc.constantFrom("download", "copy" as const), node_name: fc.constantFrom(...NODE_NAMES), model_ref: fc.constantFrom(...MODELS), bytes: fc.integer({ min: 0, max: 3 }) })
  .map((transfer): ModelTransfer => ({ ...transfer, ...(transfer.kind === "copy" ? { from_node: "node-0" } : {}) }));
const opArb = fc.constantFrom("upsert", "remove" as const);
const deltaArb: fc.Arbitrary<QueenDelta> = fc.oneof(
  fc.record({ type: fc.constant("worker" as const), op: opArb, worker: workerArb }),
  fc.record({ type: fc.constant("node" as const), op: opArb, node: nodeArb }),
  fc.record({ type: fc.constant("download" as const), op: opArb, download: transferArb }),
);
const snapshotArb = fc.record({
  workers: fc.uniqueArray(workerArb, { selector: (w) => w.id, maxLength: 30 }),
  nodes: fc.uniqueArray(nodeArb, { selector: (n) => n.node_name, maxLength: 10 }),
  downloads: fc.uniqueArray(transferArb, { selector: transferKey, maxLength: 6 }),
});

/** The reference: plain Maps of what each list should hold, written without the store's code. */
class Reference {
  readonly workers = new Map<string, RegisteredWorker>();
  readonly nodes = new Map<string, Beehive>();
  readonly downloads = new Map<string, ModelTransfer>();

  apply(delta: QueenDelta): void {
    const [map, key, item] =
      delta.type === "worker"
        ? [this.workers as Map<string, unknown>, delta.worker.id, delta.worker]
        : delta.type === "node"
          ? [this.nodes as Map<string, unknown>, delta.node.node_name, delta.node]
          : [this.downloads as Map<string, unknown>, transferKey(delta.download), delta.download];
    if (delta.op === "remove") map.delete(key);
    else map.set(key, item);
  }

  /** Each list as the tables show it: workers by node then id, nodes by name, transfers by node, model, kind. */
  sorted(): { workers: RegisteredWorker[]; nodes: Beehive[]; downloads: ModelTransfer[] } {
    const text = new Intl.Collator().compare;
    const codeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return {
      workers: [...this.workers.values()].sort((a, b) => text(a.node_name, b.node_name) || text(a.id, b.id) || codeUnits(a.id, b.id)),
      nodes: [...this.nodes.values()].sort((a, b) => text(a.node_name, b.node_name) || codeUnits(a.node_name, b.node_name)),
      downloads: [...this.downloads.values()].sort(
        (a, b) => text(a.node_name, b.node_name) || text(a.model_ref, b.model_ref) || text(a.kind, b.kind) || codeUnits(transferKey(a), transferKey(b)),
      ),
    };
  }
}

/**
 * Throws unless `list` holds `expected` in order, read by index as the virtualised tables do and
 * whole (plain checks, not expect(): a run makes thousands of them).
 */
function checkList<T>(list: KeyedList<T> | null, expected: readonly T[], what: string): void {
  if (!list) throw new Error(`${what}: the list is missing after its snapshot`);
  const byIndex = Array.from({ length: list.size }, (_, i) => list.at(i));
  const want = JSON.stringify(expected);
  if (JSON.stringify(byIndex) !== want || JSON.stringify(list.toArray()) !== want) {
    throw new Error(`${what}: expected ${want}, by index ${JSON.stringify(byIndex)}, whole ${JSON.stringify(list.toArray())}`);
  }
}

/** Throws unless the store's VRAM totals per device are the sums over `workers` (devices holding none left out). */
function checkVram(totals: ReadonlyMap<string, number>, workers: readonly RegisteredWorker[]): void {
  const sums = new Map<string, number>();
  for (const w of workers) if (w.vram_bytes) sums.set(deviceKey(w), (sums.get(deviceKey(w)) ?? 0) + w.vram_bytes);
  const want = JSON.stringify([...sums].sort());
  const got = JSON.stringify([...totals].sort());
  if (got !== want) throw new Error(`VRAM totals: expected ${want}, got ${got}`);
}

/** Throws unless every item of `before` other than the one the delta named is the same object in `after`. */
function checkOthersKept<T>(before: KeyedList<T>, after: KeyedList<T>, changedKey: string | null, key: (item: T) => string, what: string): void {
  for (const item of before) {
    if (key(item) !== changedKey && after.get(key(item)) !== item) throw new Error(`${what}: ${key(item)} is a new object though the delta was about ${changedKey}`);
  }
}

const snapshotEvents = (snapshot: { workers: RegisteredWorker[]; nodes: Beehive[]; downloads: ModelTransfer[] }): QueenEvent[] => [
  { type: "nodes", nodes: snapshot.nodes },
  { type: "workers", workers: snapshot.workers },
  { type: "downloads", downloads: snapshot.downloads },
];

describe("the fleet store applies deltas", () => {
  it("after a snapshot, 1,000 random upserts and removes leave what a plain Map model holds, in order, and keep every other item's object", () => {
    fc.assert(
      fc.property(snapshotArb, fc.array(deltaArb, { minLength: 1000, maxLength: 1000 }), (snapshot, deltas) => {
        const reference = new Reference();
        let state: FleetState = INITIAL_FLEET_STATE;
        for (const event of snapshotEvents(snapshot)) state = applyEvent(state, event);
        for (const w of snapshot.workers) reference.apply({ type: "worker", op: "upsert", worker: w });
        for (const n of snapshot.nodes) reference.apply({ type: "node", op: "upsert", node: n });
        for (const d of snapshot.downloads) reference.apply({ type: "download", op: "upsert", download: d });

        for (const delta of deltas) {
          const before = state;
          state = applyEvent(state, delta);
          reference.apply(delta);
          const expected = reference.sorted();
          checkList(state.workers, expected.workers, "workers");
          checkList(state.nodes, expected.nodes, "nodes");
          checkList(state.downloads, expected.downloads, "downloads");
          checkVram(state.workerVram, expected.workers);

          const changed = (type: QueenDelta["type"], key: string): string | null => (delta.type === type ? key : null);
          const workerKey = delta.type === "worker" ? delta.worker.id : "";
          const nodeKey = delta.type === "node" ? delta.node.node_name : "";
          const transfer = delta.type === "download" ? transferKey(delta.download) : "";
          checkOthersKept(before.workers!, state.workers!, changed("worker", workerKey), (w) => w.id, "workers");
          checkOthersKept(before.nodes!, state.nodes!, changed("node", nodeKey), (n) => n.node_name, "nodes");
          checkOthersKept(before.downloads!, state.downloads!, changed("download", transfer), transferKey, "downloads");
          // The lists a delta is not about are the very same lists.
          const untouched = (["workers", "nodes", "downloads"] as const).filter((field) => `${delta.type}s` !== field && state[field] !== before[field]);
          if (untouched.length > 0) throw new Error(`a ${delta.type} delta replaced ${untouched.join(", ")}`);
        }
      }),
      { seed: 20, numRuns: 5, endOnFailure: true },
    );
  });

  it("an upsert of worker A leaves worker B's object as it was; an upsert equal to what is held changes nothing", () => {
    const a = { ...worker("a", "idle"), node_name: "n1" };
    const b = { ...worker("b", "idle"), node_name: "n2" };
    const state = applyEvent(INITIAL_FLEET_STATE, { type: "workers", workers: [b, a] });
    const busy = applyEvent(state, { type: "worker", op: "upsert", worker: { ...a, state: "busy", slots_available: 0 } });
    expect(busy.workers!.get("b")).toBe(b);
    expect(busy.workers!.at(1)).toBe(b);
    expect(busy.workers!.get("a")).toMatchObject({ state: "busy" });
    expect(state.workers!.get("a")).toBe(a);
    expect(applyEvent(busy, { type: "worker", op: "upsert", worker: { ...a, state: "busy", slots_available: 0 } })).toBe(busy);
    expect(applyEvent(busy, { type: "worker", op: "remove", worker: worker("gone", "idle") })).toBe(busy);
  });

  it("a fresh snapshot (after falling behind) keeps the objects of the items that did not change, and the members token when none came or went", () => {
    const a = { ...worker("a", "idle"), node_name: "n1" };
    const b = { ...worker("b", "idle"), node_name: "n2" };
    const state = applyEvent(INITIAL_FLEET_STATE, { type: "workers", workers: [a, b] });
    const again = applyEvent(state, { type: "workers", workers: [structuredClone(b), { ...a, state: "busy" }] });
    expect(again.workers!.get("b")).toBe(b);
    expect(again.workers!.get("a")).toMatchObject({ state: "busy" });
    expect(again.workers!.members).toBe(state.workers!.members);
    expect(applyEvent(again, { type: "workers", workers: structuredClone(again.workers!.toArray()) as RegisteredWorker[] })).toBe(again);
    const fewer = applyEvent(again, { type: "workers", workers: [b] });
    expect(fewer.workers!.members).not.toBe(again.workers!.members);
    expect(fewer.workers!.get("b")).toBe(b);
  });

  it("a delta before its list's first snapshot waits for that snapshot", () => {
    expect(applyEvent(INITIAL_FLEET_STATE, { type: "worker", op: "upsert", worker: worker("a", "idle") })).toBe(INITIAL_FLEET_STATE);
  });
});
