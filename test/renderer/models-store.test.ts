import { describe, expect, it } from "vitest";
import type { StreamHandle } from "../../src/shared/contract/api.js";
import { RbeeError } from "../../src/shared/contract/errors.js";
import type { ListModelsResponse, ModelTransfer, NodeModel } from "../../src/shared/contract/fleet-models.js";
import type { RegisteredWorker } from "../../src/shared/contract/workers.js";
import { modelChoices } from "../../src/renderer/lib/model-choices.js";
import { modelHolders } from "../../src/renderer/lib/model-holders.js";
import { applyEvent, INITIAL_FLEET_STATE, type FleetState } from "../../src/renderer/state/fleet-store.js";
import { mergeTransfers } from "../../src/renderer/state/model-transfers.js";
import { createModelsStore } from "../../src/renderer/state/models-store.js";
import { createStore } from "../../src/renderer/state/store.js";

const SHA = "a".repeat(64);
const file = (name: string, extra: Partial<NodeModel> = {}): NodeModel => ({ model_ref: `hf:o/r/${name}`, file: name, bytes: 2048, workers: [], ...extra });
const listing = (...nodes: ListModelsResponse["nodes"]): ListModelsResponse => ({ nodes });

/** A fake API whose answers and streams the test drives by hand; every call is recorded. */
function fakeApi() {
  const lists: { resolve: (answer: ListModelsResponse) => void; reject: (error: unknown) => void }[] = [];
  const streams: { method: string; input: unknown; emit: (event: any) => void; finish: () => void; fail: (e: unknown) => void; settled: () => Promise<void>; cancelled: boolean }[] = [];
  const calls: { method: string; input: unknown }[] = [];
  let removeAnswer: () => Promise<{ removed: true }> = () => Promise.resolve({ removed: true });
  const stream = (method: string) => (input: unknown, onEvent: (event: any) => void): StreamHandle => {
    let finish!: () => void;
    let fail!: (e: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const run = { method, input, emit: onEvent, finish, fail, settled: () => done.then(flush, flush), cancelled: false };
    streams.push(run);
    return { cancel: () => (run.cancelled = true), done };
  };
  const api = {
    listModels: (input: unknown) => {
      calls.push({ method: "listModels", input });
      return new Promise<ListModelsResponse>((resolve, reject) => lists.push({ resolve, reject }));
    },
    downloadModel: stream("downloadModel"),
    copyModel: stream("copyModel"),
    cancelDownload: async (input: unknown) => {
      calls.push({ method: "cancelDownload", input });
      return { cancelled: true };
    },
    removeModel: (input: unknown) => {
      calls.push({ method: "removeModel", input });
      return removeAnswer();
    },
  };
  return { api: api as any, lists, streams, calls, refuseRemove: (error: RbeeError) => (removeAnswer = () => Promise.reject(error)) };
}

/** Lets the store's promise handlers run. */
const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function setup() {
  const fake = fakeApi();
  const fleet = createStore<FleetState>(INITIAL_FLEET_STATE);
  const store = createModelsStore(fake.api, fleet);
  const stop = store.start();
  return { ...fake, fleet, store, stop };
}

describe("the models store", () => {
  it("lists once on load, keeps each node's error, and a failed listing keeps the nodes shown before", async () => {
    const { store, lists, calls } = setup();
    store.load();
    store.load(); // already under way
    expect(calls.filter((c) => c.method === "listModels")).toHaveLength(1);
    expect(store.getSnapshot()).toMatchObject({ nodes: null, loading: true });
    lists[0]!.resolve(listing({ node_name: "mac", disk_free_bytes: 10, models: [file("tiny.gguf")] }, { node_name: "gpu", models: [], error: { code: "SSH_FAILED", message: "connection refused" } }));
    await flush();
    expect(store.getSnapshot()).toMatchObject({ loading: false, error: null });
    expect(store.getSnapshot().nodes?.find((n) => n.node_name === "gpu")?.error).toEqual({ code: "SSH_FAILED", message: "connection refused" });

    store.refresh();
    lists[1]!.reject(new RbeeError("INTERNAL", "Cannot reach the queen at http://127.0.0.1:1. Is queen-rbee running?"));
    await flush();
    expect(store.getSnapshot().error).toEqual({ code: "INTERNAL", message: expect.stringMatching(/Cannot reach the queen/) });
    expect(store.getSnapshot().nodes?.map((n) => n.node_name)).toEqual(["mac", "gpu"]);
  });

  it("a download's stream progress and the queen's `downloads` snapshot are one transfer, the furthest along shown", async () => {
    const { store, lists, streams, fleet } = setup();
    store.load();
    lists[0]!.resolve(listing({ node_name: "mac", models: [] }));
    await flush();
    store.download({ node_name: "mac", model_ref: "tinyllama" });
    streams[0]!.emit({ type: "progress", stage: "download", message: "tiny.gguf", bytes: 100, bytes_total: 1000 });
    // The queen lists it under its resolved reference, a little further along; and one started elsewhere.
    const running: ModelTransfer[] = [
      { kind: "download", node_name: "mac", model_ref: "hf:o/r/tiny.gguf", bytes: 300, bytes_total: 1000 },
      { kind: "copy", node_name: "gpu", from_node: "mac", model_ref: "hf:o/r/big.gguf", bytes: 5 },
    ];
    fleet.set(applyEvent(fleet.getSnapshot(), { type: "downloads", downloads: running }));
    const resolve = (ref: string) => (ref === "tinyllama" ? "hf:o/r/tiny.gguf" : ref);
    const views = mergeTransfers(store.getSnapshot().transfers, fleet.getSnapshot().downloads?.toArray() ?? null, resolve);
    expect(views).toEqual([
      expect.objectContaining({ kind: "copy", node_name: "gpu", from_node: "mac", bytes: 5, operationId: null }),
      expect.objectContaining({ kind: "download", node_name: "mac", model_ref: "tinyllama", bytes: 300, bytes_total: 1000, message: "tiny.gguf", operationId: "transfer-1" }),
    ]);
    // The stream gets ahead again: it wins.
    streams[0]!.emit({ type: "progress", stage: "download", message: "tiny.gguf", bytes: 900, bytes_total: 1000 });
    expect(mergeTransfers(store.getSnapshot().transfers, running, resolve).find((v) => v.node_name === "mac")?.bytes).toBe(900);
  });

  it("a finished download leaves the transfers and lists again; so does a transfer that ends elsewhere", async () => {
    const { store, lists, streams, fleet, calls } = setup();
    store.load();
    lists[0]!.resolve(listing({ node_name: "mac", models: [] }));
    await flush();
    store.download({ node_name: "mac", model_ref: "hf:o/r/tiny.gguf" });
    streams[0]!.emit({ type: "model", node_name: "mac", model: file("tiny.gguf", { sha256: SHA }) });
    streams[0]!.finish();
    await streams[0]!.settled();
    expect(store.getSnapshot().transfers).toEqual([]);
    expect(calls.filter((c) => c.method === "listModels")).toHaveLength(2);
    lists[1]!.resolve(listing({ node_name: "mac", models: [file("tiny.gguf", { sha256: SHA })] }));
    await flush();
    expect(store.getSnapshot().nodes?.[0]?.models.map((m) => m.file)).toEqual(["tiny.gguf"]);

    const elsewhere: ModelTransfer = { kind: "download", node_name: "mac", model_ref: "hf:o/r/b.gguf", bytes: 1 };
    fleet.set(applyEvent(fleet.getSnapshot(), { type: "downloads", downloads: [elsewhere] }));
    expect(calls.filter((c) => c.method === "listModels")).toHaveLength(2);
    fleet.set(applyEvent(fleet.getSnapshot(), { type: "downloads", downloads: [] }));
    expect(calls.filter((c) => c.method === "listModels")).toHaveLength(3);
    // A worker that comes or goes changes what is in use: listed again once the listing in flight is done.
    fleet.set(applyEvent(fleet.getSnapshot(), { type: "workers", workers: [{ id: "w1", node_name: "mac" } as RegisteredWorker] }));
    lists[2]!.resolve(listing({ node_name: "mac", models: [] }));
    await flush();
    expect(calls.filter((c) => c.method === "listModels")).toHaveLength(4);
  });

  it("a failed copy stays with its error until dismissed; a refused stream fails too; a stream cut without the model is a failure", async () => {
    const { store, streams } = setup();
    const id = store.copy({ model_ref: "hf:o/r/tiny.gguf", from_node: "mac", to_node: "gpu" });
    expect(streams[0]).toMatchObject({ method: "copyModel", input: { model_ref: "hf:o/r/tiny.gguf", from_node: "mac", to_node: "gpu" } });
    expect(store.getSnapshot().transfers[0]).toMatchObject({ id, kind: "copy", node_name: "gpu", from_node: "mac", state: { kind: "running" } });
    streams[0]!.emit({ type: "error", code: "COPY_FAILED", message: "sha256 differs on gpu" });
    streams[0]!.finish();
    await streams[0]!.settled();
    expect(store.getSnapshot().transfers[0]?.state).toEqual({ kind: "failed", code: "COPY_FAILED", message: "sha256 differs on gpu" });

    store.download({ node_name: "nope", model_ref: "x" });
    streams[1]!.fail(new RbeeError("NODE_NOT_FOUND", 'No node named "nope"'));
    await streams[1]!.settled();
    store.download({ node_name: "mac", model_ref: "hf:o/r/c.gguf" });
    streams[2]!.finish();
    await streams[2]!.settled();
    expect(store.getSnapshot().transfers.map((t) => t.state)).toEqual([
      { kind: "failed", code: "COPY_FAILED", message: "sha256 differs on gpu" },
      { kind: "failed", code: "NODE_NOT_FOUND", message: 'No node named "nope"' },
      { kind: "failed", code: "INTERNAL", message: "The transfer ended before the model arrived" },
    ]);
    store.dismiss(id);
    expect(store.getSnapshot().transfers).toHaveLength(2);
  });

  it("cancel asks the queen to stop the transfer (it goes on without its client), then ends the stream; that is no failure", async () => {
    const { store, streams, calls } = setup();
    const id = store.download({ node_name: "mac", model_ref: "hf:o/r/tiny.gguf" });
    await store.cancel({ node_name: "mac", model_ref: "hf:o/r/tiny.gguf", operationId: id });
    expect(calls).toContainEqual({ method: "cancelDownload", input: { node_name: "mac", model_ref: "hf:o/r/tiny.gguf" } });
    expect(streams[0]!.cancelled).toBe(true);
    streams[0]!.emit({ type: "error", code: "DOWNLOAD_FAILED", message: "The download was cancelled" });
    streams[0]!.finish();
    await streams[0]!.settled();
    expect(store.getSnapshot().transfers).toEqual([]);
    // One started elsewhere has no stream here: only the queen is asked.
    await store.cancel({ node_name: "gpu", model_ref: "hf:o/r/big.gguf", operationId: null });
    expect(calls.filter((c) => c.method === "cancelDownload")).toHaveLength(2);
  });

  it("remove drops the file from its node at once; MODEL_IN_USE rejects and changes nothing", async () => {
    const { store, lists, refuseRemove } = setup();
    store.load();
    lists[0]!.resolve(listing({ node_name: "mac", models: [file("a.gguf"), file("b.gguf", { workers: ["mac-w1"] })] }, { node_name: "gpu", models: [file("a.gguf")] }));
    await flush();
    await store.remove({ node_name: "mac", model_ref: "hf:o/r/a.gguf" });
    expect(store.getSnapshot().nodes?.map((n) => [n.node_name, n.models.map((m) => m.file)])).toEqual([
      ["mac", ["b.gguf"]],
      ["gpu", ["a.gguf"]],
    ]);
    lists[1]!.resolve(listing({ node_name: "mac", models: [file("b.gguf", { workers: ["mac-w1"] })] }, { node_name: "gpu", models: [file("a.gguf")] }));
    await flush();
    refuseRemove(new RbeeError("MODEL_IN_USE", "b.gguf is loaded by mac-w1"));
    await expect(store.remove({ node_name: "mac", model_ref: "hf:o/r/b.gguf" })).rejects.toMatchObject({ code: "MODEL_IN_USE" });
    expect(store.getSnapshot().nodes?.[0]?.models.map((m) => m.file)).toEqual(["b.gguf"]);
  });
});

describe("the model picker's holders", () => {
  it("says under each choice which nodes hold its file; held files come before the ones to download", () => {
    const catalog = [
      { alias: "tiny", model_ref: "hf:o/r/tiny.gguf", description: "Tiny" },
      { alias: "big", model_ref: "hf:o/r/big.gguf", description: "Big" },
    ];
    const holders = modelHolders([
      { node_name: "local", models: [file("tiny.gguf"), file("own.gguf")] },
      { node_name: "gpu", models: [file("tiny.gguf")] },
      { node_name: "down", models: [], error: { code: "SSH_FAILED", message: "refused" } },
    ]);
    expect(modelChoices([], catalog, holders)).toEqual([
      { value: "hf:o/r/tiny.gguf", detail: "on gpu, local · tiny: Tiny" },
      { value: "hf:o/r/own.gguf", detail: "on local" },
      { value: "hf:o/r/big.gguf", detail: "big: Big" },
    ]);
    expect(modelChoices([{ model_ref: "hf:o/r/own.gguf", node_name: "local" } as RegisteredWorker], catalog, holders)[0]).toEqual({
      value: "hf:o/r/own.gguf",
      detail: "loaded on local · on local",
    });
  });
});
