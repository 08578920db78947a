// The pure parts of a first run in the chat: whether a model fits this computer, the one loaded
// model the chat selects by itself, the model remembered across reloads, and asking again after a stop.
import { describe, expect, it } from "vitest";
import type { StreamHandle } from "../../src/shared/contract/api.js";
import type { HiveDevices } from "../../src/shared/contract/hive.js";
import type { CatalogModel } from "../../src/shared/contract/model-catalog.js";
import type { InferenceRequest } from "../../src/shared/contract/inference.js";
import type { StreamEvent } from "../../src/shared/contract/streams.js";
import type { RegisteredWorker, WorkerState } from "../../src/shared/contract/workers.js";
import { modelOffers } from "../../src/renderer/lib/model-choices.js";
import { memoryNeeded, modelFit } from "../../src/renderer/lib/model-fit.js";
import { effectiveModel, soleLoadedModel } from "../../src/renderer/lib/model-selection.js";
import { createChatStore } from "../../src/renderer/state/chat-store.js";
import { addExchange, applyAnswerEvent, newConversation, retryableAnswer, retryAnswer, settleAnswer, EMPTY_CHAT } from "../../src/renderer/state/conversations.js";
import { LAST_MODEL_STORAGE_KEY, readLastModel } from "../../src/renderer/state/last-model.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const devices = (ram: number, vram: readonly { name: string; total: number }[] = []): HiveDevices => ({
  backends: vram.length > 0 ? ["cpu", "cuda"] : ["cpu"],
  devices: vram.length > 0 ? { cpu: 1, cuda: vram.length } : { cpu: 1 },
  ram_bytes: ram,
  vram: vram.map((gpu, device) => ({ backend: "cuda", device, name: gpu.name, total_bytes: gpu.total, free_bytes: null })),
});

const worker = (model_ref: string, node_name = "local", state: WorkerState = "idle") =>
  ({ id: `${node_name}-${model_ref.length}-${state}`, model_ref, node_name, state }) as RegisteredWorker;

describe("whether a model fits this computer", () => {
  it("needs about its file plus a tenth and an allowance for the context", () => {
    expect(memoryNeeded(1 * GiB)).toBe(Math.ceil(1.1 * GiB) + 512 * MiB);
  });

  it("fits within half the RAM, is tight up to 80 %, else too big", () => {
    const ram = devices(16 * GiB);
    expect(modelFit(600 * MiB, ram)).toMatchObject({ kind: "fits", label: "fits", detail: expect.stringContaining("16.0 GiB RAM") });
    // 16 GiB: half is 8 GiB, 80 % is 12.8 GiB.
    expect(modelFit(6.5 * GiB, ram).kind).toBe("fits");
    expect(modelFit(8 * GiB, ram)).toMatchObject({ kind: "tight", label: "tight" });
    expect(modelFit(11 * GiB, ram).kind).toBe("tight");
    expect(modelFit(12 * GiB, ram)).toMatchObject({ kind: "too-big", label: "too big" });
    expect(modelFit(40 * GiB, ram).detail).toMatch(/^Needs about 44\.5 GiB; this computer has 16\.0 GiB RAM$/);
  });

  it("fits a GPU whose memory holds it, else falls back to RAM and says why", () => {
    const box = devices(8 * GiB, [
      { name: "small", total: 4 * GiB },
      { name: "RTX 4090", total: 24 * GiB },
    ]);
    expect(modelFit(12 * GiB, box)).toMatchObject({ kind: "fits", detail: expect.stringContaining("RTX 4090 has 24.0 GiB VRAM") });
    // Too much for the GPU, and for 8 GiB of RAM.
    expect(modelFit(30 * GiB, box).kind).toBe("too-big");
    const laptop = devices(32 * GiB, [{ name: "iGPU", total: 2 * GiB }]);
    expect(modelFit(4 * GiB, laptop)).toMatchObject({ kind: "fits", detail: expect.stringContaining("it runs on the CPU") });
  });

  it("is unknown without a size or before the machine's figures arrive", () => {
    expect(modelFit(undefined, devices(16 * GiB))).toMatchObject({ kind: "unknown", detail: "Its size is not known" });
    expect(modelFit(GiB, null)).toMatchObject({ kind: "unknown", detail: "This computer's memory is not known yet" });
  });
});

describe("the models the empty chat offers", () => {
  const catalog: CatalogModel[] = [
    { alias: "tiny-chat", model_ref: "http://127.0.0.1:9/tiny-chat.gguf", description: "Test model", size_bytes: 2 * MiB },
    { alias: "big", model_ref: "hf:o/r/big.gguf", description: "Big", approx_size_bytes: 20 * GiB },
    { alias: "nosize", model_ref: "hf:o/r/x.gguf", description: "?" },
  ];

  it("each with its size (rough ones marked ~) and whether it fits this computer; loaded ones first, without a verdict", () => {
    const offers = modelOffers(catalog, [worker("hf:o/r/big.gguf", "gpu")], { devices: devices(16 * GiB) });
    expect(offers.map((offer) => [offer.name, offer.size, offer.loadedOn, offer.fit?.kind ?? null])).toEqual([
      ["big", "~20.0 GiB", ["gpu"], null],
      ["tiny-chat", "2.00 MiB", [], "fits"],
      ["nosize", null, [], "unknown"],
    ]);
    expect(offers[1]?.model_ref).toBe("http://127.0.0.1:9/tiny-chat.gguf");
  });

  it("a loaded model outside the catalog comes first by its file name; with no local node there is no verdict", () => {
    const offers = modelOffers(catalog, [worker("file:/m/mine.gguf", "lab")], null);
    expect(offers[0]).toMatchObject({ name: "mine.gguf", model_ref: "file:/m/mine.gguf", loadedOn: ["lab"], fit: null });
    expect(offers.every((offer) => offer.fit === null)).toBe(true);
  });
});

describe("the one loaded model", () => {
  it("is selected when the live workers hold exactly one model and the user chose none", () => {
    expect(soleLoadedModel([])).toBeNull();
    expect(soleLoadedModel([worker("a"), worker("a", "gpu")])).toBe("a");
    expect(soleLoadedModel([worker("a"), worker("b")])).toBeNull();
    // A worker still loading has nothing loaded yet.
    expect(soleLoadedModel([worker("a"), worker("b", "gpu", "loading")])).toBe("a");
    expect(soleLoadedModel([worker("b", "gpu", "loading")])).toBeNull();
    expect(effectiveModel("", [worker("a")])).toBe("a");
    expect(effectiveModel("", [worker("a"), worker("b")])).toBe("");
    // The user's choice wins.
    expect(effectiveModel("chosen", [worker("a")])).toBe("chosen");
  });

  it("lets Enter send without choosing, and the conversation keeps it", () => {
    const { store, calls } = setup();
    const id = store.newConversation();
    expect(store.send("hi")).toBe(false);
    expect(store.send("hi", effectiveModel("", [worker("loaded")]))).toBe(true);
    expect(calls[0]?.request.model).toBe("loaded");
    expect(store.getSnapshot().conversations.find((c) => c.id === id)?.model).toBe("loaded");
  });
});

describe("the remembered model", () => {
  it("is the last one a message went to, kept across reloads, even once every conversation is deleted", async () => {
    const first = setup();
    const id = first.store.newConversation();
    first.store.configure(id, { model: "http://127.0.0.1:9/tiny-chat.gguf" });
    first.store.send("hello");
    expect(readLastModel(first.storage)).toBe("http://127.0.0.1:9/tiny-chat.gguf");
    first.calls[0]!.finish();
    await first.calls[0]!.settled();
    first.store.deleteConversation(id);
    expect(first.store.getSnapshot().conversations).toEqual([]);

    // A reload: a new store on the same storage.
    const second = setup(first.storage);
    second.store.newConversation();
    expect(second.store.getSnapshot().conversations[0]?.model).toBe("http://127.0.0.1:9/tiny-chat.gguf");
  });

  it("storage holding junk remembers nothing", () => {
    expect(readLastModel(new MemoryStorage([[LAST_MODEL_STORAGE_KEY, "has spaces"]]))).toBe("");
    expect(readLastModel(new MemoryStorage())).toBe("");
    expect(readLastModel(null)).toBe("");
  });
});

describe("a start stopped during its download", () => {
  const downloading = () => {
    let state = newConversation(EMPTY_CHAT, { id: "c", now: 1, model: "m", node: "local" });
    state = addExchange(state, "c", { userId: "u", answerId: "a", text: "Hello!", now: 1 });
    return applyAnswerEvent(state, "c", "a", { type: "progress", stage: "download", message: "tiny-chat.gguf", bytes: 300, bytes_total: 1000 });
  };

  it("remembers where it stood, whether the stream ended with a cancel or was cut", () => {
    const ended = applyAnswerEvent(downloading(), "c", "a", { type: "end", tokens_out: 0, decode_ms: 0, ttft_ms: 0, stop_reason: "cancelled" });
    expect(ended.conversations[0]?.turns[1]).toMatchObject({ status: "stopped", interrupted: { stage: "download", bytes: 300, bytes_total: 1000 } });
    const cut = settleAnswer(downloading(), "c", "a", { stopped: true });
    expect(cut.conversations[0]?.turns[1]).toMatchObject({ status: "stopped", interrupted: { stage: "download", bytes: 300 } });
    expect(cut.conversations[0]?.turns[1]?.progress).toBeUndefined();
  });

  it("is asked again in place: the same question, a new answer; an answer with text is not", () => {
    const stopped = settleAnswer(downloading(), "c", "a", { stopped: true });
    expect(retryableAnswer(stopped.conversations[0]!.turns)?.id).toBe("a");
    const again = retryAnswer(stopped, "c", { answerId: "b", now: 2 });
    expect(again.conversations[0]?.turns.map((turn) => [turn.id, turn.status])).toEqual([
      ["u", undefined],
      ["b", "pending"],
    ]);
    const answered = applyAnswerEvent(downloading(), "c", "a", { type: "token", t: "Hi", i: 0 });
    const stoppedWithText = settleAnswer(answered, "c", "a", { stopped: true });
    expect(retryableAnswer(stoppedWithText.conversations[0]!.turns)).toBeUndefined();
    expect(retryAnswer(stoppedWithText, "c", { answerId: "b", now: 2 })).toBe(stoppedWithText);
  });

  it("the store sends the same conversation again", async () => {
    const { store, calls } = setup();
    store.configure(store.newConversation(), { model: "m", node: "local" });
    store.send("Hello!");
    calls[0]!.emit({ type: "progress", stage: "download", message: "x", bytes: 5, bytes_total: 10 });
    store.stop();
    calls[0]!.finish();
    await calls[0]!.settled();
    expect(store.retry()).toBe(true);
    expect(calls[1]?.request).toMatchObject({ model: "m", node: "local", messages: [{ role: "user", content: "Hello!" }] });
    expect(store.retry()).toBe(false); // running
  });
});

class MemoryStorage {
  private readonly items: Map<string, string>;
  constructor(items: readonly (readonly [string, string])[] = []) {
    this.items = new Map(items);
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

/** A chat store on `storage` with a fake `infer` the test drives. */
function setup(storage = new MemoryStorage()) {
  const calls: { request: InferenceRequest; emit: (event: StreamEvent) => void; finish: () => void; settled: () => Promise<void> }[] = [];
  const infer = (request: InferenceRequest, onEvent: (event: StreamEvent) => void): StreamHandle => {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    calls.push({ request, emit: onEvent, finish, settled: () => done });
    return { cancel: () => undefined, done };
  };
  let id = 0;
  const store = createChatStore({ api: { infer }, storage, newId: () => `id${++id}`, now: () => 1000, scheduleFrame: (flush) => flush(), saveDelayMs: 0 });
  return { store, calls, storage };
}
