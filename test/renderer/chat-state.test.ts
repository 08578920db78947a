import { describe, expect, it } from "vitest";
import type { StreamHandle } from "../../src/shared/contract/api.js";
import { RbeeError } from "../../src/shared/contract/errors.js";
import type { InferenceRequest } from "../../src/shared/contract/inference.js";
import type { EndEvent, StreamEvent } from "../../src/shared/contract/streams.js";
import { createChatStore } from "../../src/renderer/state/chat-store.js";
import { inferenceRequest, runChatTurn } from "../../src/renderer/state/chat-turn.js";
import {
  addExchange,
  applyAnswerEvent,
  CHAT_STORAGE_KEY,
  deleteConversation,
  deserializeChat,
  EMPTY_CHAT,
  historyFor,
  newConversation,
  serializeChat,
  settleAnswer,
  titleOf,
} from "../../src/renderer/state/conversations.js";

const end = (stop_reason: "eos" | "cancelled" = "eos"): EndEvent => ({
  type: "end",
  tokens_out: 3,
  decode_ms: 30,
  ttft_ms: 10,
  stop_reason,
});

/** A fake `infer` the test drives: each call is recorded with a way to emit events and end it. */
function fakeInfer() {
  const calls: {
    request: InferenceRequest;
    emit: (event: StreamEvent) => void;
    finish: () => void;
    fail: (error: unknown) => void;
    /** Resolves after the store's handlers of `done` ran: the store attached them before the test asks. */
    settled: () => Promise<void>;
    cancelled: boolean;
  }[] = [];
  const infer = (request: InferenceRequest, onEvent: (event: StreamEvent) => void): StreamHandle => {
    let finish!: () => void;
    let fail!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const settled = () => done.then(() => undefined, () => undefined);
    const call = { request, emit: onEvent, finish, fail, settled, cancelled: false };
    calls.push(call);
    return {
      cancel: () => {
        call.cancelled = true;
      },
      done,
    };
  };
  return { infer, calls };
}

describe("conversations", () => {
  it("adds exchanges, titles the conversation from its first message, and moves it to the top", () => {
    let state = newConversation(EMPTY_CHAT, { id: "a", now: 1, model: "tinyllama", node: null });
    state = newConversation(state, { id: "b", now: 2, model: "tinyllama", node: "gpu" });
    expect(state.conversations.map((c) => c.id)).toEqual(["b", "a"]);
    state = addExchange(state, "a", { userId: "u1", answerId: "a1", text: "  hello\n there  ", now: 3 });
    expect(state.conversations.map((c) => c.id)).toEqual(["a", "b"]);
    expect(state.conversations[0]).toMatchObject({ title: "hello there", updated_ms: 3 });
    expect(state.conversations[0]?.turns.map((t) => [t.role, t.status])).toEqual([
      ["user", undefined],
      ["assistant", "pending"],
    ]);
    expect(titleOf("a".repeat(30) + " " + "b".repeat(30))).toBe(`${"a".repeat(30)}…`);
  });

  it("applies stream events: progress, started, tokens, end", () => {
    let state = newConversation(EMPTY_CHAT, { id: "c", now: 1, model: "m", node: null });
    state = addExchange(state, "c", { userId: "u", answerId: "x", text: "hi", now: 1 });
    state = applyAnswerEvent(state, "c", "x", { type: "progress", stage: "download", message: "tiny.gguf", bytes: 5, bytes_total: 10 });
    expect(state.conversations[0]?.turns[1]?.progress).toEqual({ stage: "download", message: "tiny.gguf", bytes: 5, bytes_total: 10 });
    state = applyAnswerEvent(state, "c", "x", { type: "started", job_id: "j", worker_id: "w", node_name: "n", model_ref: "m" });
    state = applyAnswerEvent(state, "c", "x", { type: "token", t: "Hel", i: 0 });
    state = applyAnswerEvent(state, "c", "x", { type: "token", t: "lo", i: 1 });
    state = applyAnswerEvent(state, "c", "x", end("cancelled"));
    const answer = state.conversations[0]?.turns[1];
    expect(answer).toMatchObject({ content: "Hello", status: "stopped", worker: { node_name: "n" }, stats: { tokens_out: 3 } });
    expect(answer?.progress).toBeUndefined();
    // An answer that already ended keeps its status when the stream settles.
    expect(settleAnswer(state, "c", "x", { stopped: false })).toBe(state);
  });

  it("a queued answer keeps its place in line as it moves, until it starts; the end keeps the cached tokens", () => {
    let state = newConversation(EMPTY_CHAT, { id: "c", now: 1, model: "m", node: null });
    state = addExchange(state, "c", { userId: "u", answerId: "x", text: "hi", now: 1 });
    const places: (number | undefined)[] = [];
    for (const position of [3, 2, 1]) {
      state = applyAnswerEvent(state, "c", "x", { type: "progress", stage: "queue", message: `busy: ${position}`, position });
      places.push(state.conversations[0]?.turns[1]?.progress?.position);
    }
    expect(places).toEqual([3, 2, 1]);
    expect(state.conversations[0]?.turns[1]).toMatchObject({ status: "pending", progress: { stage: "queue", message: "busy: 1" } });
    state = applyAnswerEvent(state, "c", "x", { type: "started", job_id: "j", worker_id: "w", node_name: "n", model_ref: "m" });
    expect(state.conversations[0]?.turns[1]?.progress).toBeUndefined();
    state = applyAnswerEvent(state, "c", "x", { type: "token", t: "Hi", i: 0 });
    state = applyAnswerEvent(state, "c", "x", { ...end(), tokens_in: 500, tokens_cached: 412 });
    expect(state.conversations[0]?.turns[1]?.stats).toEqual({
      tokens_in: 500,
      tokens_cached: 412,
      tokens_out: 3,
      decode_ms: 30,
      ttft_ms: 10,
      stop_reason: "eos",
    });
    expect(deserializeChat(serializeChat(state)).conversations[0]?.turns[1]?.stats).toMatchObject({ tokens_cached: 412 });
  });

  it("builds the history for the model without failed or empty answers", () => {
    let state = newConversation(EMPTY_CHAT, { id: "c", now: 1, model: "m", node: null });
    state = addExchange(state, "c", { userId: "u1", answerId: "a1", text: "first", now: 1 });
    state = applyAnswerEvent(state, "c", "a1", { type: "error", code: "NO_CAPACITY", message: "none" });
    state = addExchange(state, "c", { userId: "u2", answerId: "a2", text: "second", now: 2 });
    state = applyAnswerEvent(state, "c", "a2", { type: "token", t: "answer", i: 0 });
    state = applyAnswerEvent(state, "c", "a2", end("cancelled"));
    state = addExchange(state, "c", { userId: "u3", answerId: "a3", text: "third", now: 3 });
    expect(historyFor(state.conversations[0]!, "a3")).toEqual([
      { role: "user", content: "first" },
      { role: "user", content: "second" },
      { role: "assistant", content: "answer" },
      { role: "user", content: "third" },
    ]);
  });

  it("deleting shows the next conversation", () => {
    let state = newConversation(EMPTY_CHAT, { id: "a", now: 1, model: "m", node: null });
    state = newConversation(state, { id: "b", now: 2, model: "m", node: null });
    state = newConversation(state, { id: "c", now: 3, model: "m", node: null });
    expect(deleteConversation(state, "c").activeId).toBe("b");
    expect(deleteConversation(deleteConversation(deleteConversation(state, "a"), "b"), "c")).toEqual(EMPTY_CHAT);
  });

  it("round-trips through storage; running answers come back stopped; junk gives an empty chat", () => {
    let state = newConversation(EMPTY_CHAT, { id: "a", now: 1, model: "m", node: "n", max_tokens: 64 });
    state = addExchange(state, "a", { userId: "u", answerId: "x", text: "hi", now: 2 });
    state = applyAnswerEvent(state, "a", "x", { type: "progress", stage: "spawn", message: "starting" });
    const restored = deserializeChat(serializeChat(state));
    expect(restored.activeId).toBe("a");
    expect(restored.conversations[0]).toMatchObject({ node: "n", max_tokens: 64 });
    expect(restored.conversations[0]?.turns[1]).toMatchObject({ status: "stopped" });
    expect(restored.conversations[0]?.turns[1]?.progress).toBeUndefined();
    expect(deserializeChat("{not json")).toEqual(EMPTY_CHAT);
    expect(deserializeChat(JSON.stringify({ version: 9 }))).toEqual(EMPTY_CHAT);
    expect(deserializeChat(null)).toEqual(EMPTY_CHAT);
  });
});

describe("runChatTurn", () => {
  const turn = { model: "tinyllama", node: "gpu", session: "conv-1", messages: [{ role: "user" as const, content: "hello" }], max_tokens: 100 };

  it("sends the conversation once, as messages; a refusal is passed on as the error it is", async () => {
    const { infer, calls } = fakeInfer();
    const events: StreamEvent[] = [];
    const handle = runChatTurn({ infer }, turn, (e) => events.push(e));
    expect(calls[0]?.request).toEqual({ model: "tinyllama", node: "gpu", session: "conv-1", max_tokens: 100, messages: turn.messages });
    calls[0]!.emit({ type: "progress", stage: "spawn", message: "spawning" });
    calls[0]!.emit({ type: "error", code: "INVALID_REQUEST", message: "messages: not supported" });
    calls[0]!.finish();
    await handle.done;
    expect(calls).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(["progress", "error"]);

    const refused = fakeInfer();
    const second = runChatTurn({ infer: refused.infer }, turn, () => undefined);
    refused.calls[0]!.fail(new RbeeError("INVALID_REQUEST", "messages: not supported"));
    await expect(second.done).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    expect(refused.calls).toHaveLength(1);
  });

  it("cancel stops the stream", () => {
    const { infer, calls } = fakeInfer();
    runChatTurn({ infer }, turn, () => undefined).cancel();
    expect(calls[0]?.cancelled).toBe(true);
  });

  it("leaves the node out for any node", () => {
    expect(inferenceRequest({ ...turn, node: null })).not.toHaveProperty("node");
  });
});

describe("createChatStore", () => {
  function setup(stored?: string) {
    const { infer, calls } = fakeInfer();
    const storage = new Map<string, string>(stored ? [[CHAT_STORAGE_KEY, stored]] : []);
    const frames: (() => void)[] = [];
    let id = 0;
    const store = createChatStore({
      api: { infer },
      storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
      newId: () => `id${++id}`,
      now: () => 1000,
      scheduleFrame: (flush) => frames.push(flush),
      saveDelayMs: 0,
    });
    const runFrames = () => frames.splice(0).forEach((flush) => flush());
    return { store, calls, storage, runFrames };
  }

  it("streams an answer: tokens are applied once per frame, then kept in storage", async () => {
    const { store, calls, storage, runFrames } = setup();
    const id = store.newConversation();
    expect(store.send("hello")).toBe(false); // no model chosen yet
    store.configure(id, { model: "tinyllama", max_tokens: 50 });
    expect(store.send("hello")).toBe(true);
    expect(store.send("again")).toBe(false); // one answer at a time
    expect(calls[0]?.request).toMatchObject({ model: "tinyllama", max_tokens: 50, messages: [{ role: "user", content: "hello" }] });

    const seen: string[] = [];
    store.subscribe(() => seen.push(store.getSnapshot().conversations[0]?.turns[1]?.content ?? ""));
    calls[0]!.emit({ type: "started", job_id: "j", worker_id: "w", node_name: "n", model_ref: "tinyllama" });
    calls[0]!.emit({ type: "token", t: "Hel", i: 0 });
    calls[0]!.emit({ type: "token", t: "lo", i: 1 });
    expect(store.getSnapshot().conversations[0]?.turns[1]?.content).toBe("");
    runFrames();
    expect(store.getSnapshot().conversations[0]?.turns[1]?.content).toBe("Hello");
    calls[0]!.emit({ type: "token", t: "!", i: 2 });
    calls[0]!.emit(end());
    // The end shows the text that came before it.
    expect(store.getSnapshot().conversations[0]?.turns[1]).toMatchObject({ content: "Hello!", status: "done" });
    expect(seen.filter((text, i) => text !== seen[i - 1])).toEqual(["", "Hello", "Hello!"]);
    calls[0]!.finish();
    await calls[0]!.settled();

    const restored = deserializeChat(storage.get(CHAT_STORAGE_KEY) ?? null);
    expect(restored.conversations[0]?.turns.map((t) => t.content)).toEqual(["hello", "Hello!"]);

    // The next turn carries the conversation.
    expect(store.send("more")).toBe(true);
    expect(calls[1]?.request.messages?.map((m) => m.content)).toEqual(["hello", "Hello!", "more"]);
  });

  it("every turn names its conversation as the session, so the queen sends it to the worker that holds it", async () => {
    const { store, calls } = setup();
    const first = store.newConversation();
    store.configure(first, { model: "m" });
    store.send("one");
    calls[0]!.emit(end());
    calls[0]!.finish();
    await calls[0]!.settled();
    store.send("two");
    calls[1]!.emit(end());
    calls[1]!.finish();
    await calls[1]!.settled();

    // Another conversation is another session; going back to the first resumes its own.
    const second = store.newConversation();
    expect(second).not.toBe(first);
    store.send("elsewhere");
    calls[2]!.emit(end());
    calls[2]!.finish();
    await calls[2]!.settled();
    store.select(first);
    store.send("three");
    expect(calls.map((call) => call.request.session)).toEqual([first, first, second, first]);
  });

  it("stop cancels, and an answer cut without an end event is marked stopped", async () => {
    const { store, calls, runFrames } = setup();
    const id = store.newConversation();
    store.configure(id, { model: "m" });
    store.send("hello");
    calls[0]!.emit({ type: "token", t: "partial", i: 0 });
    store.stop();
    expect(calls[0]?.cancelled).toBe(true);
    calls[0]!.finish();
    await calls[0]!.settled();
    runFrames();
    expect(store.getSnapshot().conversations[0]?.turns[1]).toMatchObject({ content: "partial", status: "stopped" });
  });

  it("shows a refusal as a failed answer", async () => {
    const { store, calls } = setup();
    store.configure(store.newConversation(), { model: "m" });
    store.send("hello");
    calls[0]!.fail(new RbeeError("NODE_NOT_FOUND", "No node named gpu"));
    await calls[0]!.settled();
    expect(store.getSnapshot().conversations[0]?.turns[1]).toMatchObject({
      status: "failed",
      error: { code: "NODE_NOT_FOUND", message: "No node named gpu" },
    });
  });

  it("shows a worker's refusal of the messages as a failed answer, without sending the turn again", async () => {
    const { store, calls } = setup();
    store.configure(store.newConversation(), { model: "m" });
    store.send("hello");
    calls[0]!.emit({ type: "error", code: "INVALID_REQUEST", message: "messages: not supported" });
    calls[0]!.finish();
    await calls[0]!.settled();
    expect(calls).toHaveLength(1);
    expect(store.getSnapshot().conversations[0]?.turns[1]).toMatchObject({
      status: "failed",
      error: { code: "INVALID_REQUEST", message: "messages: not supported" },
    });
  });

  it("starts from stored conversations, and new ones take the last model and node", () => {
    let stored = newConversation(EMPTY_CHAT, { id: "old", now: 1, model: "qwen2.5-0.5b", node: "gpu" });
    stored = addExchange(stored, "old", { userId: "u", answerId: "a", text: "hi", now: 1 });
    const { store } = setup(serializeChat(stored));
    expect(store.getSnapshot().conversations[0]?.turns[1]?.status).toBe("stopped");
    const id = store.newConversation();
    expect(store.getSnapshot()).toMatchObject({ activeId: id, conversations: [{ id, model: "qwen2.5-0.5b", node: "gpu" }, { id: "old" }] });
  });
});

describe("new conversations", () => {
  it("reuse an empty one instead of piling up", () => {
    let n = 0;
    const store = createChatStore({ api: { infer: fakeInfer().infer }, storage: null, newId: () => `c${++n}` });
    const first = store.newConversation();
    expect(store.newConversation()).toBe(first);
    expect(store.getSnapshot().conversations).toHaveLength(1);
  });
});
