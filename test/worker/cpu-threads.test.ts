import { describe, expect, it } from "vitest";
import { defaultCpuThreads } from "../../src/worker/cpu-threads.js";

describe("defaultCpuThreads", () => {
  it("leaves one physical core free, never going below one thread", () => {
    expect([1, 2, 3, 4, 8, 16].map(defaultCpuThreads)).toEqual([1, 1, 2, 3, 7, 15]);
    expect(defaultCpuThreads(0)).toBe(1);
  });
});
