import { describe, expect, it } from "vitest";
import { SlotPool } from "../../src/worker/slot-pool.js";

describe("SlotPool", () => {
  it("takes the free slot the score rates highest", () => {
    const pool = new SlotPool(["a", "b", "c"]);
    const scores: Record<string, number> = { a: 1, b: 7, c: 3 };
    expect(pool.acquire((slot) => scores[slot] ?? 0)).toBe("b");
    expect(pool.acquire((slot) => scores[slot] ?? 0)).toBe("c");
    expect(pool.available).toBe(1);
  });

  it("among equal scores, and without a score, takes the slot free the longest", () => {
    const pool = new SlotPool(["a", "b", "c"]);
    expect(pool.acquire()).toBe("a");
    expect(pool.acquire(() => 0)).toBe("b");
    pool.release("a");
    pool.release("b");
    // Free now, the one free the longest first: c (never taken), a, b.
    expect(pool.acquire(() => 5)).toBe("c");
    expect(pool.acquire((slot) => (slot === "c" ? 9 : 2))).toBe("a");
  });

  it("rates a NaN score lowest, yet still hands out a slot", () => {
    const pool = new SlotPool(["a", "b"]);
    expect(pool.acquire((slot) => (slot === "a" ? Number.NaN : -5))).toBe("b");
    expect(pool.acquire(() => Number.NaN)).toBe("a");
  });

  it("answers undefined when every slot is taken, and never asks the score about a busy slot", () => {
    const pool = new SlotPool(["a", "b"]);
    const asked: string[] = [];
    pool.acquire();
    expect(pool.acquire((slot) => (asked.push(slot), 0))).toBe("b");
    expect(asked).toEqual(["b"]);
    expect(pool.acquire(() => 1)).toBeUndefined();
  });

  it("tells its listeners when the free slots change, once per take and per give-back", () => {
    const pool = new SlotPool(["a", "b"]);
    let changes = 0;
    const unsubscribe = pool.onChange(() => (changes += 1));
    const slot = pool.acquire(() => 1);
    pool.release(slot!);
    pool.release(slot!); // already free: no change
    pool.release("z" as string); // not one of the pool's
    expect(changes).toBe(2);
    unsubscribe();
    pool.acquire();
    expect(changes).toBe(2);
  });
});
