import { describe, expect, it } from "vitest";
import { createStore } from "../../src/renderer/state/store.js";

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
