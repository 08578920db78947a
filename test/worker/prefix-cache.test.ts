import type { Token } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { reusableTokens, reusePrefix, sharedPrefixLength, slotScore, type CachedSequence } from "../../src/worker/prefix-cache.js";

const t = (...ids: number[]): Token[] => ids as Token[];

/**
 * A context sequence reduced to its token list. Its erase cuts in place (`cuts`), or does nothing as
 * a sequence that drifted would (`ignores`), or evaluates what it keeps again as llama.cpp does
 * where it cannot cut a sequence's end (`reevaluates`).
 */
class FakeSequence implements CachedSequence {
  clears = 0;
  readonly tokenMeter = { usedInputTokens: 0 };
  constructor(
    private tokens: Token[],
    private readonly erase: "cuts" | "ignores" | "reevaluates" = "cuts",
  ) {}

  get contextTokens(): Token[] {
    return [...this.tokens];
  }

  get nextTokenIndex(): number {
    return this.tokens.length;
  }

  async eraseContextTokenRanges(ranges: { start: number; end: number }[]): Promise<void> {
    if (this.erase === "ignores") return;
    for (const { start, end } of [...ranges].sort((a, b) => b.start - a.start)) this.tokens.splice(start, end - start);
    if (this.erase === "reevaluates") this.tokenMeter.usedInputTokens += this.tokens.length;
  }

  async clearHistory(): Promise<void> {
    this.clears += 1;
    this.tokens = [];
  }
}

describe("prefix cache", () => {
  it("measures the shared beginning of two token lists", () => {
    expect(sharedPrefixLength(t(1, 2, 3), t(1, 2, 4))).toBe(2);
    expect(sharedPrefixLength(t(1, 2), t(1, 2, 3))).toBe(2);
    expect(sharedPrefixLength(t(), t(1))).toBe(0);
    expect(sharedPrefixLength(t(5), t(1))).toBe(0);
  });

  it("never reuses the last prompt token: its evaluation gives the logits of the first answer token", () => {
    expect(reusableTokens(t(1, 2, 3, 9, 9), t(1, 2, 3))).toBe(2);
    expect(reusableTokens(t(1, 2, 3), t(1, 2, 3))).toBe(2);
    expect(reusableTokens(t(1, 2), t(1, 2, 3, 4))).toBe(2);
    expect(reusableTokens(t(1), t(1))).toBe(0);
    expect(reusableTokens(t(1), t())).toBe(0);
  });

  it("scores a slot by the tokens it saves, only when it is the job's own: the prompt continues it, or it holds nearly all the prompt", () => {
    const turn = t(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    // The next turn of the conversation the slot holds.
    expect(slotScore(turn, [...turn, ...t(11, 12)])).toBe(10);
    // The same turn again (the slot also holds its answer).
    expect(slotScore([...turn, ...t(11, 12)], turn)).toBe(9);
    // Another conversation with the same opening (a system prompt): it would throw this one away.
    expect(slotScore(turn, t(1, 2, 3, 4, 5, 6, 20, 21, 22, 23, 24))).toBe(0);
    expect(slotScore(t(), t(1, 2))).toBe(0);
  });

  it("trims the slot to the shared beginning and leaves the rest of the prompt to evaluate", async () => {
    const sequence = new FakeSequence(t(1, 2, 3, 7, 8));
    expect(await reusePrefix(sequence, t(1, 2, 3, 4), true)).toEqual({ cached: 3, rest: t(4) });
    expect(sequence.contextTokens).toEqual(t(1, 2, 3));
  });

  it("evaluates the last token again when the slot holds the whole prompt", async () => {
    const sequence = new FakeSequence(t(1, 2, 3, 4, 5));
    expect(await reusePrefix(sequence, t(1, 2, 3), true)).toEqual({ cached: 2, rest: t(3) });
    expect(sequence.contextTokens).toEqual(t(1, 2));
  });

  it("empties the slot without cache_prompt, or when it does not hold what it was trimmed to", async () => {
    const uncached = new FakeSequence(t(1, 2, 3));
    expect(await reusePrefix(uncached, t(1, 2, 3, 4), false)).toEqual({ cached: 0, rest: t(1, 2, 3, 4) });
    expect(uncached.contextTokens).toEqual([]);

    const drifted = new FakeSequence(t(1, 2, 7, 8), "ignores");
    expect(await reusePrefix(drifted, t(1, 2, 3), true)).toEqual({ cached: 0, rest: t(1, 2, 3) });
    expect(drifted.clears).toBe(1);
  });

  it("counts as cached none of the tokens the sequence had to evaluate again to cut its end", async () => {
    const sequence = new FakeSequence(t(1, 2, 3, 7, 8), "reevaluates");
    expect(await reusePrefix(sequence, t(1, 2, 3, 4), true)).toEqual({ cached: 0, rest: t(4) });
    expect(sequence.contextTokens).toEqual(t(1, 2, 3));
    // Nothing to cut: nothing evaluated again.
    expect(await reusePrefix(sequence, t(1, 2, 3, 4), true)).toEqual({ cached: 3, rest: t(4) });
  });
});
