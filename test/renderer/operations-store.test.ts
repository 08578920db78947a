import { describe, expect, it } from "vitest";
import type { StreamHandle } from "../../src/shared/contract/api.js";
import { RbeeError } from "../../src/shared/contract/errors.js";
import { applyOperationEvent, createOperationsStore, settleOperation, STARTING } from "../../src/renderer/state/operations-store.js";

function controllable() {
  const runs: { emit: (event: any) => void; finish: () => void; fail: (error: unknown) => void; settled: () => Promise<void>; cancelled: boolean }[] = [];
  const start = (_arg: unknown, onEvent: (event: any) => void): StreamHandle => {
    let finish!: () => void;
    let fail!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    // Resolves after the store's handlers of `done` ran: the store attached them before the test asks.
    const settled = () => done.then(() => undefined, () => undefined);
    const run = { emit: onEvent, finish, fail, settled, cancelled: false };
    runs.push(run);
    return { cancel: () => (run.cancelled = true), done };
  };
  return { start, runs };
}

describe("operations", () => {
  it("an install shows each step, then its last step as the final status", async () => {
    const { start, runs } = controllable();
    const store = createOperationsStore({ installNode: start, spawnWorker: start });
    store.install("gpu");
    store.install("gpu"); // already running
    expect(runs).toHaveLength(1);
    expect(store.getSnapshot().installs.gpu).toEqual(STARTING);
    runs[0]!.emit({ type: "progress", stage: "install", message: "cloning the repository" });
    expect(store.getSnapshot().installs.gpu).toEqual({ kind: "running", progress: { stage: "install", message: "cloning the repository" } });
    runs[0]!.emit({ type: "progress", stage: "hive", message: "gpu is ready" });
    runs[0]!.finish();
    await runs[0]!.settled();
    expect(store.getSnapshot().installs.gpu).toEqual({ kind: "done", message: "gpu is ready" });
    // A second install starts over.
    store.install("gpu");
    runs[1]!.emit({ type: "error", code: "INSTALL_FAILED", message: "no git" });
    runs[1]!.finish();
    await runs[1]!.settled();
    expect(store.getSnapshot().installs.gpu).toEqual({ kind: "failed", code: "INSTALL_FAILED", message: "no git" });
  });

  it("a spawn ends with its worker, or fails; a cancelled or cut spawn is not a success", async () => {
    const { start, runs } = controllable();
    const store = createOperationsStore({ installNode: start, spawnWorker: start });
    const request = { node_name: "gpu", model_ref: "tinyllama", backend: "cpu" as const, device: 0 };
    const ok = store.spawn(request);
    runs[0]!.emit({ type: "worker", worker: { id: "gpu-1", node_name: "gpu", state: "idle" } });
    runs[0]!.finish();
    await runs[0]!.settled();
    expect(store.getSnapshot().spawns.find((op) => op.id === ok)?.state).toMatchObject({ kind: "done", message: "Worker gpu-1 is idle on gpu" });

    const cut = store.spawn(request);
    runs[1]!.finish();
    await runs[1]!.settled();
    expect(store.getSnapshot().spawns.find((op) => op.id === cut)?.state).toMatchObject({ kind: "failed", code: "WORKER_FAILED" });

    const cancelled = store.spawn(request);
    store.cancelSpawn(cancelled);
    expect(runs[2]!.cancelled).toBe(true);
    runs[2]!.finish();
    await runs[2]!.settled();
    expect(store.getSnapshot().spawns.find((op) => op.id === cancelled)?.state).toMatchObject({ kind: "failed", message: expect.stringMatching(/Cancelled/) });

    const refused = store.spawn(request);
    runs[3]!.fail(new RbeeError("NODE_NOT_FOUND", "No node named gpu"));
    await runs[3]!.settled();
    expect(store.getSnapshot().spawns.find((op) => op.id === refused)?.state).toEqual({ kind: "failed", code: "NODE_NOT_FOUND", message: "No node named gpu" });
    store.dismissSpawn(refused);
    expect(store.getSnapshot().spawns.some((op) => op.id === refused)).toBe(false);
  });

  it("a finished operation ignores late events", () => {
    const done = settleOperation({ kind: "running", progress: null });
    expect(done).toEqual({ kind: "done", message: "Done" });
    expect(applyOperationEvent(done, { type: "error", code: "INTERNAL", message: "late" })).toBe(done);
  });
});
