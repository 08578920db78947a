import type { Token } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { SlotPool } from "../../src/worker/slot-pool.js";
import { StopDetector } from "../../src/worker/stop-detector.js";
import { TokenTextDecoder, type TextDetokenizer } from "../../src/worker/token-text-decoder.js";

/** Byte-level tokens as llama.cpp decodes them: invalid or unfinished UTF-8 becomes U+FFFD. */
const bytesModel: TextDetokenizer = {
  detokenize(tokens, _special, lastTokens = []) {
    const decode = (ids: readonly number[]): string => Buffer.from(ids).toString("utf8");
    const before = decode(lastTokens);
    const all = decode([...lastTokens, ...tokens]);
    return all.startsWith(before) ? all.slice(before.length) : decode(tokens);
  },
};

function decodeAll(bytes: readonly number[]): string[] {
  const decoder = new TokenTextDecoder(bytesModel);
  return bytes.map((byte) => decoder.push(byte as Token));
}

describe("TokenTextDecoder", () => {
  it("gives one piece per token, empty while a character is unfinished", () => {
    expect(decodeAll([...Buffer.from("aé€😀b")])).toEqual(["a", "", "é", "", "", "€", "", "", "", "😀", "b"]);
  });

  it("releases an invalid byte with the next token and flushes an unfinished character as U+FFFD", () => {
    const decoder = new TokenTextDecoder(bytesModel);
    expect(decoder.push(0xff as Token)).toBe("");
    expect(decoder.push(0x41 as Token)).toBe("\uFFFDA");
    expect(decoder.push(0xe2 as Token)).toBe("");
    expect(decoder.flush()).toBe("\uFFFD");
    expect(decoder.flush()).toBe("");
  });
});

describe("StopDetector", () => {
  it("passes text through when there is no stop string", () => {
    const stops = new StopDetector([]);
    expect(stops.push("abc")).toBe("abc");
    expect(stops.stopped).toBe(false);
  });

  it("shows the text before a stop string and nothing from it on", () => {
    const stops = new StopDetector(["world"]);
    expect(stops.push("Hello wor")).toBe("Hello ");
    expect(stops.push("ld and more")).toBe("");
    expect(stops.stopped).toBe(true);
    expect(stops.push("later")).toBe("");
    expect(stops.flush()).toBe("");
  });

  it("holds a possible beginning of a stop string and releases it when it does not complete", () => {
    const stops = new StopDetector(["abc"]);
    expect(stops.push("xa")).toBe("x");
    expect(stops.push("b")).toBe("");
    expect(stops.push("d")).toBe("abd");
    expect(stops.push("ab")).toBe("");
    expect(stops.flush()).toBe("ab");
    expect(stops.stopped).toBe(false);
  });

  it("stops at the earliest of several stop strings", () => {
    const stops = new StopDetector(["zz", "b"]);
    expect(stops.matched).toBeUndefined();
    expect(stops.push("azzb")).toBe("a");
    expect(stops.stopped).toBe(true);
    expect(stops.matched).toBe("zz");
  });
});

describe("SlotPool", () => {
  it("hands out each slot once, takes them back, and reports changes", () => {
    const pool = new SlotPool(["s0", "s1"]);
    let changes = 0;
    pool.onChange(() => changes++);
    const first = pool.acquire();
    const second = pool.acquire();
    expect(new Set([first, second])).toEqual(new Set(["s0", "s1"]));
    expect(pool.acquire()).toBeUndefined();
    expect(pool.available).toBe(0);
    pool.release(first!);
    pool.release(first!);
    pool.release("stranger");
    expect(pool.available).toBe(1);
    expect(pool.total).toBe(2);
    expect(changes).toBe(3);
  });
});
