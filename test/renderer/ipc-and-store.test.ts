import { beforeEach, describe, expect, it, vi } from "vitest";
import type { RbeeApi } from "../../src/shared/contract/api.js";
import { RbeeError } from "../../src/shared/contract/errors.js";
import type { QueenEvent } from "../../src/shared/contract/events.js";
import type { RegisteredWorker } from "../../src/shared/contract/workers.js";
import { createIpcApi, toRbeeError, type RbeeBridge } from "../../src/renderer/api/ipc-transport.js";
import { applyEvent, createFleetStore, fleetView, INITIAL_FLEET_STATE } from "../../src/renderer/state/fleet-store.js";
import { manualFrames } from "./manual-frames.js";

// Invalid events are expected here; their warnings would only clutter the output.
beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

const worker = (id: string, node_name: string): RegisteredWorker => ({
  id,
  url: "http://127.0.0.1:9999",
  model_ref: "tinyllama",
  backend: "cpu",
  device: 0,
  state: "idle",
  slots_total: 2,
  slots_available: 2,
  vram_bytes: null,
  node_name,
  last_heartbeat_unix: 1,
});

function fakeBridge(overrides: Partial<RbeeApi>): { bridge: RbeeBridge; emit: (event: unknown) => void } {
  let listener: ((event: QueenEvent) => void) | undefined;
  const unexpected = () => Promise.reject(new Error("not stubbed"));
  const unexpectedStream = () => ({ cancel: () => undefined, done: Promise.reject(new Error("not stubbed")) });
  const bridge: RbeeBridge = {
    health: unexpected,
    listNodes: unexpected,
    testNode: unexpected,
    addNode: unexpected,
    removeNode: unexpected,
    listWorkers: unexpected,
    stopWorker: unexpected,
    sshConfigHosts: unexpected,
    nodeDevices: unexpected,
    cancelInference: unexpected,
    infer: unexpectedStream,
    installNode: unexpectedStream,
    spawnWorker: unexpectedStream,
    onEvent: (l: (event: QueenEvent) => void) => {
      listener = l;
      return () => {
        listener = undefined;
      };
    },
    ...overrides,
  };
  return { bridge, emit: (event) => listener?.(event as QueenEvent) };
}

/** A fleet store on a fake IPC bridge whose frames the test produces, started, counting its notifications. */
function framedFleetStore() {
  const { bridge, emit } = fakeBridge({});
  const frames = manualFrames();
  const store = createFleetStore(createIpcApi(bridge), frames.schedule);
  let changes = 0;
  store.subscribe(() => changes++);
  const stop = store.start();
  return { emit, frames, store, changes: () => changes, stop };
}

describe("createIpcApi", () => {
  it("rebuilds RbeeErrors from the plain objects the preload rejects with", async () => {
    const { bridge } = fakeBridge({
      removeNode: () =>
        Promise.reject({ code: "NODE_NOT_FOUND", message: "No node named x", details: undefined }),
    });
    const error = await createIpcApi(bridge).removeNode({ node_name: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RbeeError);
    expect(error).toMatchObject({ code: "NODE_NOT_FOUND", message: "No node named x" });
  });

  it("validates answers and events", async () => {
    const { bridge, emit } = fakeBridge({ listWorkers: () => Promise.resolve({ workers: [{ id: 1 }] } as never) });
    const api = createIpcApi(bridge);
    await expect(api.listWorkers({})).rejects.toMatchObject({ code: "INTERNAL" });
    const received: QueenEvent[] = [];
    api.onEvent((event) => received.push(event));
    emit({ type: "workers", workers: "nope" });
    emit({ type: "workers", workers: [] });
    expect(received).toEqual([{ type: "workers", workers: [] }]);
  });

  it("keeps unknown rejections readable", () => {
    expect(toRbeeError(new Error("boom"))).toMatchObject({ code: "INTERNAL", message: "boom" });
    expect(toRbeeError("plain")).toMatchObject({ code: "INTERNAL", message: "plain" });
  });
});

describe("fleet store", () => {
  it("applies snapshots, sorted for a stable table", () => {
    const state = applyEvent(INITIAL_FLEET_STATE, {
      type: "workers",
      workers: [worker("b", "n2"), worker("z", "n1"), worker("a", "n2")],
    });
    expect(state.workers?.toArray().map((w) => w.id)).toEqual(["z", "a", "b"]);
    expect(state.nodes).toBeNull();
  });

  it("counts a transport without its own link state as connected once snapshots arrive", () => {
    const { bridge, emit } = fakeBridge({});
    const store = createFleetStore(createIpcApi(bridge));
    let changes = 0;
    store.subscribe(() => changes++);
    const stop = store.start();
    expect(store.getSnapshot().connection).toBe("connecting");
    emit({ type: "nodes", nodes: [] });
    expect(fleetView(store.getSnapshot())).toMatchObject({ connection: "connected", nodes: [], workers: null });
    expect(changes).toBe(1);
    stop();
  });

  it("applies every event of a frame in order and renders them once, at the frame", () => {
    const { emit, frames, store, changes, stop } = framedFleetStore();
    const events: QueenEvent[] = [
      { type: "workers", workers: [worker("a", "n1"), worker("b", "n1")] },
      { type: "worker", op: "upsert", worker: { ...worker("a", "n1"), state: "busy", slots_available: 1 } },
      { type: "worker", op: "remove", worker: worker("b", "n1") },
      { type: "worker", op: "upsert", worker: worker("c", "n2") },
    ];
    for (const event of events) emit(event);
    // The first snapshot is shown at once; the deltas after it in the same frame wait for the next.
    expect(changes()).toBe(1);
    expect(fleetView(store.getSnapshot()).workers?.map((w) => w.id)).toEqual(["a", "b"]);
    frames.frame();
    expect(changes()).toBe(2);
    const inOrder = events.reduce(applyEvent, { ...INITIAL_FLEET_STATE, connection: "connected" as const });
    expect(fleetView(store.getSnapshot()).workers).toEqual(fleetView(inOrder).workers);
    expect(fleetView(store.getSnapshot()).workers?.find((w) => w.id === "a")?.state).toBe("busy");
    stop();
  });

  it("passes on what is still held when it stops, and hears nothing after", () => {
    const { emit, frames, store, changes, stop } = framedFleetStore();
    emit({ type: "nodes", nodes: [] });
    emit({ type: "workers", workers: [worker("a", "n1")] });
    expect(store.getSnapshot().workers).toBeNull();
    stop();
    expect(changes()).toBe(2);
    expect(fleetView(store.getSnapshot()).workers?.map((w) => w.id)).toEqual(["a"]);
    expect(frames.waiting()).toBe(0);
    emit({ type: "workers", workers: [] });
    frames.frame();
    expect(changes()).toBe(2);
  });
});
