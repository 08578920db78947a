import { describe, expect, it, vi } from "vitest";
import { createFrameStore } from "../../src/renderer/state/frame-store.js";
import { createStore } from "../../src/renderer/state/store.js";
import { manualFrames } from "./manual-frames.js";

describe("createStore", () => {
  it("notifies subscribers of a new state, not of the same one, and stops after unsubscribe", () => {
    const first = { n: 1 };
    const store = createStore(first);
    const seen: number[] = [];
    const stop = store.subscribe(() => seen.push(store.getSnapshot().n));
    expect(store.set(first)).toBe(false);
    expect(store.set({ n: 2 })).toBe(true);
    stop();
    store.set({ n: 3 });
    expect(seen).toEqual([2]);
    expect(store.getSnapshot()).toEqual({ n: 3 });
  });

  it("a listener that unsubscribes while notified does not keep the others from hearing", () => {
    const store = createStore(0);
    const heard: string[] = [];
    const stopA = store.subscribe(() => {
      heard.push("a");
      stopA();
    });
    store.subscribe(() => heard.push("b"));
    store.set(1);
    store.set(2);
    expect(heard).toEqual(["a", "b", "b"]);
  });
});

describe("createFrameStore", () => {
  it("passes a change after a quiet frame on at once, and the ones after it together at the next frame", () => {
    const frames = manualFrames();
    const store = createFrameStore({ n: 0 }, frames.schedule);
    const seen: number[] = [];
    store.subscribe(() => seen.push(store.getSnapshot().n));
    store.set({ n: 1 });
    expect(seen).toEqual([1]);
    store.set({ n: 2 });
    const held = store.getSnapshot();
    store.set({ n: 3 });
    // What React reads stays one object until the next notification; the newest state is kept apart.
    expect(store.getSnapshot()).toBe(held);
    expect(held).toEqual({ n: 1 });
    expect(store.latest()).toEqual({ n: 3 });
    expect(seen).toEqual([1]);
    frames.frame();
    expect(seen).toEqual([1, 3]);
    // That frame notified: the next one is still held for…
    expect(frames.waiting()).toBe(1);
    frames.frame();
    // …and, nothing having changed, lets the next change through at once.
    expect(frames.waiting()).toBe(0);
    store.set({ n: 4 });
    expect(seen).toEqual([1, 3, 4]);
  });

  it("tells of nothing when the state is set to itself", () => {
    const frames = manualFrames();
    const first = { n: 0 };
    const store = createFrameStore(first, frames.schedule);
    let changes = 0;
    store.subscribe(() => changes++);
    expect(store.set(first)).toBe(false);
    expect(frames.waiting()).toBe(0);
    store.set({ n: 1 });
    const back = { n: 2 };
    store.set(back);
    store.set(store.getSnapshot());
    // Back to what subscribers have already: the frame has nothing to tell.
    frames.frame();
    expect(changes).toBe(1);
  });

  it("flush tells of the newest state at once and calls off the frame", () => {
    const frames = manualFrames();
    const store = createFrameStore(0, frames.schedule);
    const seen: number[] = [];
    store.subscribe(() => seen.push(store.getSnapshot()));
    store.set(1);
    store.set(2);
    store.flush();
    expect(seen).toEqual([1, 2]);
    expect(frames.waiting()).toBe(0);
    store.set(3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it("waits on a timer where there is no requestAnimationFrame", () => {
    vi.useFakeTimers();
    try {
      const store = createFrameStore(0);
      const seen: number[] = [];
      store.subscribe(() => seen.push(store.getSnapshot()));
      store.set(1);
      store.set(2);
      expect(seen).toEqual([1]);
      vi.advanceTimersByTime(20);
      expect(seen).toEqual([1, 2]);
    } finally {
      vi.useRealTimers();
    }
  });
});
