import { describe, expect, test } from "vitest";
import { AffinityIndex, SESSION_SCORE } from "../../src/core/scheduling/affinity.js";
import { heldMarks, prefixMarks, type PromptInput } from "../../src/core/scheduling/prompt-prefix.js";
import type { ChatMessage } from "../../src/shared/contract/index.js";

const system: ChatMessage = { role: "system", content: "Be brief." };
const turn1: ChatMessage[] = [system, { role: "user", content: "Hi" }];
const turn2: ChatMessage[] = [...turn1, { role: "assistant", content: "Hello!" }, { role: "user", content: "Again" }];

describe("prefixMarks", () => {
  test("a conversation's next turn shares every mark of the previous one", () => {
    const first = prefixMarks({ messages: turn1 });
    const next = prefixMarks({ messages: turn2 });
    expect(first).toHaveLength(2);
    expect(next.slice(0, 2)).toEqual(first);
    expect(next[3]!.chars).toBeGreaterThan(first[1]!.chars);
  });

  test("a changed earlier message breaks the chain from there on", () => {
    const edited = prefixMarks({ messages: [system, { role: "user", content: "Hey" }] });
    const first = prefixMarks({ messages: turn1 });
    expect(edited[0]).toEqual(first[0]);
    expect(edited[1]!.hash).not.toBe(first[1]!.hash);
  });

  test("raw prompts share the marks of their common beginning, and a role change is another text", () => {
    const base = "x".repeat(300);
    const a = prefixMarks({ prompt: `${base}a` });
    const b = prefixMarks({ prompt: `${base}b` });
    expect(a.map((m) => m.chars)).toEqual([64, 256, 301]);
    expect(a.slice(0, 2)).toEqual(b.slice(0, 2));
    expect(a[2]!.hash).not.toBe(b[2]!.hash);
    expect(prefixMarks({ messages: [{ role: "user", content: "Hi" }] })[0]!.hash).not.toBe(
      prefixMarks({ messages: [{ role: "system", content: "Hi" }] })[0]!.hash,
    );
  });
});

/** The marks a worker is known by once it ran `input`. */
const ran = (input: PromptInput) => heldMarks(input, prefixMarks(input));

describe("AffinityIndex", () => {
  test("a worker is known by the whole conversation it ran: its next turn goes there, another conversation with the same opening does not", () => {
    const index = new AffinityIndex();
    index.record("w-a", undefined, ran({ messages: turn1 }));
    expect(index.scores(undefined, prefixMarks({ messages: turn2 })).get("w-a")).toBeGreaterThan(0);
    const other = [system, { role: "user" as const, content: "Something else entirely" }];
    expect(index.scores(undefined, prefixMarks({ messages: other })).has("w-a")).toBe(false);
  });

  test("scores the worker that ran the longest shared beginning highest, and a session's worker above all", () => {
    const index = new AffinityIndex();
    index.record("w-system", undefined, ran({ messages: [system] }));
    index.record("w-turn1", undefined, ran({ messages: turn1 }));
    const scores = index.scores(undefined, prefixMarks({ messages: turn2 }));
    expect(scores.get("w-turn1")).toBeGreaterThan(0);
    // The system prompt alone is too small a share of the request to count: new conversations spread.
    expect(scores.has("w-system")).toBe(false);
    expect(index.scores(undefined, prefixMarks({ messages: [system, { role: "user", content: "x" }] })).get("w-system")).toBeGreaterThan(0);
    expect(index.scores(undefined, prefixMarks({ messages: [{ role: "user", content: "unrelated" }] })).size).toBe(0);

    index.record("w-session", "conv", ran({ messages: [{ role: "user", content: "other" }] }));
    expect(index.scores("conv", prefixMarks({ messages: turn2 })).get("w-session")).toBe(SESSION_SCORE);
  });

  test("a session follows the worker that served its last turn", () => {
    const index = new AffinityIndex();
    index.record("w1", "conv", []);
    index.record("w2", "conv", []);
    const scores = index.scores("conv", []);
    expect(scores.get("w2")).toBe(SESSION_SCORE);
    expect(scores.has("w1")).toBe(false);
  });

  test("stays bounded: the oldest beginnings of a worker are forgotten first", () => {
    const index = new AffinityIndex();
    const first = prefixMarks({ prompt: "first prompt" });
    index.record("w", undefined, first);
    for (let i = 0; i < 300; i += 1) index.record("w", undefined, prefixMarks({ prompt: `prompt ${i}` }));
    expect(index.scores(undefined, first).size).toBe(0);
    expect(index.scores(undefined, prefixMarks({ prompt: "prompt 299" })).get("w")).toBeGreaterThan(0);
  });
});
