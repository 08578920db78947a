import { describe, expect, it } from "vitest";
import { ordinal, placeInLine } from "../../src/shared/ordinal.js";

describe("ordinal", () => {
  it("says st, nd, rd by the last digit, th for the teens and the rest", () => {
    const cases: readonly (readonly [number, string])[] = [
      [1, "1st"],
      [2, "2nd"],
      [3, "3rd"],
      [4, "4th"],
      [10, "10th"],
      [11, "11th"],
      [12, "12th"],
      [13, "13th"],
      [14, "14th"],
      [21, "21st"],
      [22, "22nd"],
      [23, "23rd"],
      [100, "100th"],
      [101, "101st"],
      [111, "111th"],
      [112, "112th"],
      [113, "113th"],
      [1002, "1002nd"],
    ];
    for (const [n, text] of cases) expect(ordinal(n), String(n)).toBe(text);
  });

  it("a place in line: the first is next", () => {
    expect(placeInLine(1)).toBe("Next in line");
    expect(placeInLine(2)).toBe("2nd in line");
    expect(placeInLine(13)).toBe("13th in line");
  });
});
