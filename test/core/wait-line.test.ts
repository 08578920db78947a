import { describe, expect, test } from "vitest";
import { INTERACTIVE_HEAD_START_MS, placeInLine, WaitLine, type RequestOrigin } from "../../src/core/scheduling/wait-line.js";

const entry = (name: string, origin: RequestOrigin, arrivedAtMs: number) => ({ name, place: placeInLine(origin, arrivedAtMs) });
const names = (line: WaitLine<{ name: string; place: number }>) => line.inOrder().map((e) => e.name);

describe("the wait line", () => {
  test("keeps arrival order among requests of one origin", () => {
    const line = new WaitLine<{ name: string; place: number }>();
    for (const [i, name] of ["a", "b", "c"].entries()) line.add(entry(name, "api", 1_000 + i));
    expect(names(line)).toEqual(["a", "b", "c"]);
    const people = new WaitLine<{ name: string; place: number }>();
    for (const [i, name] of ["a", "b", "c"].entries()) people.add(entry(name, "interactive", 1_000 + i));
    expect(names(people)).toEqual(["a", "b", "c"]);
  });

  test("an interactive request goes ahead of API requests that have waited less than 30 s", () => {
    const line = new WaitLine<{ name: string; place: number }>();
    line.add(entry("batch-1", "api", 0));
    line.add(entry("batch-2", "api", 10_000));
    line.add(entry("person", "interactive", 20_000));
    expect(names(line)).toEqual(["person", "batch-1", "batch-2"]);
  });

  test("an API request that has waited 30 s is passed by no one new: nothing waits forever", () => {
    const line = new WaitLine<{ name: string; place: number }>();
    line.add(entry("batch", "api", 0));
    line.add(entry("early person", "interactive", INTERACTIVE_HEAD_START_MS - 1));
    line.add(entry("late person", "interactive", INTERACTIVE_HEAD_START_MS + 1));
    expect(names(line)).toEqual(["early person", "batch", "late person"]);
  });

  test("equal places keep arrival order, and remove takes one entry out", () => {
    const line = new WaitLine<{ name: string; place: number }>();
    const a = { name: "a", place: 5 };
    const b = { name: "b", place: 5 };
    line.add(a);
    line.add(b);
    expect(names(line)).toEqual(["a", "b"]);
    expect(line.remove(a)).toBe(true);
    expect(line.remove(a)).toBe(false);
    expect(names(line)).toEqual(["b"]);
    expect(line.size).toBe(1);
  });
});
