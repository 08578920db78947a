import { describe, expect, test } from "vitest";
import { RbeeError, type RegisterWorkerRequest } from "../../src/shared/contract/index.js";
import { WorkerRegistry } from "../../src/core/registry/worker-registry.js";

const request = (id: string, over: Partial<RegisterWorkerRequest> = {}): RegisterWorkerRequest => ({
  worker_id: id,
  url: `http://127.0.0.1:9${id.length}00`,
  model_ref: "tinyllama",
  backend: "cpu",
  device: 0,
  slots_total: 2,
  slots_available: 2,
  ...over,
});

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as RbeeError).code;
  }
  return undefined;
};

describe("WorkerRegistry", () => {
  test("register, get, list, count, remove", () => {
    let now = 100;
    const registry = new WorkerRegistry(() => now);
    expect(registry.register(request("w1"), "mac")).toBe("created");
    expect(registry.get("w1")).toEqual({
      id: "w1",
      url: "http://127.0.0.1:9200",
      model_ref: "tinyllama",
      backend: "cpu",
      device: 0,
      state: "idle",
      slots_total: 2,
      slots_available: 2,
      vram_bytes: null,
      node_name: "mac",
      last_heartbeat_unix: 100,
    });
    now = 101;
    registry.register(request("w22", { vram_bytes: 1024, state: "loading" }), "gpu");
    expect(registry.count()).toBe(2);
    expect(registry.list().map((w) => w.id)).toEqual(["w1", "w22"]);
    expect(registry.onNode("gpu").map((w) => w.id)).toEqual(["w22"]);
    expect(registry.get("w22")).toMatchObject({ state: "loading", vram_bytes: 1024 });
    expect(registry.remove("w1")).toBe(true);
    expect(registry.remove("w1")).toBe(false);
    expect(registry.count()).toBe(1);
  });

  test("the same registration again is a repeat; another url is a conflict", () => {
    const registry = new WorkerRegistry();
    registry.register(request("w1"), "mac");
    expect(registry.register(request("w1"), "mac")).toBe("unchanged");
    expect(registry.register(request("w1", { slots_available: 1 }), "mac")).toBe("updated");
    expect(codeOf(() => registry.register(request("w1", { url: "http://127.0.0.1:1" }), "mac"))).toBe(
      "WORKER_CONFLICT",
    );
    expect(registry.get("w1")?.url).toBe("http://127.0.0.1:9200");
  });

  test("update and heartbeat change state and slots, clamped; unknown ids are WORKER_NOT_FOUND", () => {
    let now = 1;
    const registry = new WorkerRegistry(() => now);
    registry.register(request("w1"), "mac");
    now = 5;
    expect(registry.update({ worker_id: "w1", state: "busy", slots_available: 0 })).toMatchObject({
      state: "busy",
      slots_available: 0,
      last_heartbeat_unix: 5,
    });
    now = 9;
    expect(registry.heartbeat({ worker_id: "w1", slots_available: 7 })).toMatchObject({
      slots_available: 2,
      last_heartbeat_unix: 9,
    });
    now = 12;
    // A booking is the queen's own doing, not news from the worker: no sign of life.
    expect(registry.book("w1")).toMatchObject({ state: "busy", slots_available: 1, last_heartbeat_unix: 9 });
    expect(codeOf(() => registry.update({ worker_id: "nope" }))).toBe("WORKER_NOT_FOUND");
    expect(codeOf(() => registry.heartbeat({ worker_id: "nope" }))).toBe("WORKER_NOT_FOUND");
  });

  test("change events fire on real changes only", () => {
    const registry = new WorkerRegistry();
    let changes = 0;
    registry.onDidChange(() => changes++);
    registry.register(request("w1"), "mac"); // 1
    registry.register(request("w1"), "mac"); // repeat: none
    registry.heartbeat({ worker_id: "w1" }); // same slots: none
    registry.update({ worker_id: "w1", state: "busy" }); // 2
    registry.release("w1"); // nothing booked: none
    registry.book("w1"); // 3
    registry.heartbeat({ worker_id: "w1", slots_available: 2 }); // booked slot stays taken: none
    registry.remove("w1"); // 4
    registry.release("w1"); // gone: none
    expect(changes).toBe(4);
  });
});

describe("WorkerRegistry slots: the worker's reports are a hint, the queen's bookings a ceiling", () => {
  test("two requests in the same tick never take the same last slot", () => {
    const registry = new WorkerRegistry();
    registry.register(request("w1", { slots_total: 1, slots_available: 1 }), "mac");
    expect(registry.book("w1")).toMatchObject({ state: "busy", slots_available: 0 });
    expect(registry.book("w1")).toBeUndefined();
    expect(registry.get("w1")).toMatchObject({ state: "busy", slots_available: 0 });
  });

  test("a worker's report does not free a slot the queen still has booked", () => {
    const registry = new WorkerRegistry();
    registry.register(request("w1"), "mac");
    registry.book("w1");
    registry.book("w1");
    // A report from before the bookings arrives late.
    expect(registry.update({ worker_id: "w1", state: "idle", slots_available: 2 })).toMatchObject({ state: "busy", slots_available: 0 });
    expect(registry.heartbeat({ worker_id: "w1", slots_available: 2 })).toMatchObject({ slots_available: 0 });
    registry.release("w1");
    expect(registry.get("w1")).toMatchObject({ state: "busy", slots_available: 1 });
  });

  test("a release frees the slot the worker's last report still counts as busy", () => {
    const registry = new WorkerRegistry();
    registry.register(request("w1", { slots_total: 1, slots_available: 1 }), "mac");
    registry.book("w1");
    registry.update({ worker_id: "w1", state: "busy", slots_available: 0 });
    registry.release("w1");
    expect(registry.get("w1")).toMatchObject({ state: "idle", slots_available: 1 });
    // The worker's next report is the truth again.
    registry.update({ worker_id: "w1", state: "busy", slots_available: 0 });
    expect(registry.get("w1")).toMatchObject({ state: "busy", slots_available: 0 });
  });

  test("work the queen did not book (from before a restart) stays counted", () => {
    const registry = new WorkerRegistry();
    registry.register(request("w1", { state: "busy", slots_available: 1 }), "mac");
    expect(registry.book("w1")).toMatchObject({ state: "busy", slots_available: 0 });
    registry.release("w1");
    expect(registry.get("w1")).toMatchObject({ state: "busy", slots_available: 1 });
  });

  test("a repeated registration keeps the queen's bookings; a loading worker is never booked; removal drops them", () => {
    const registry = new WorkerRegistry();
    registry.register(request("w1"), "mac");
    registry.book("w1");
    expect(registry.register(request("w1"), "mac")).toBe("unchanged");
    expect(registry.get("w1")).toMatchObject({ state: "busy", slots_available: 1 });
    registry.remove("w1");
    registry.register(request("w1"), "mac");
    expect(registry.get("w1")).toMatchObject({ state: "idle", slots_available: 2 });
    registry.register(request("w2", { state: "loading" }), "mac");
    expect(registry.book("w2")).toBeUndefined();
  });
});
