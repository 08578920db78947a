import { beforeEach, describe, expect, it, vi } from "vitest";
import type { RbeeApi } from "../../src/shared/contract/api.js";
import { RbeeError } from "../../src/shared/contract/errors.js";
import type { QueenEvent } from "../../src/shared/contract/events.js";
import type { RegisteredWorker } from "../../src/shared/contract/workers.js";
import { createIpcApi, toRbeeError, type RbeeBridge } from "../../src/renderer/api/ipc-transport.js";
import { applyEvent, createFleetStore, fleetView, INITIAL_FLEET_STATE } from "../../src/renderer/state/fleet-store.js";

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
});
