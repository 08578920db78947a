import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openFence, stabilizeStreamingMarkdown } from "../../src/renderer/lib/streaming-markdown.js";

const ANSWER = [
  "Here is **a function** and `inline code`:",
  "",
  "```ts",
  "export function add(a: number, b: number): number {",
  "  return a + b; // ``` inside a line is code",
  "}",
  "```",
  "",
  "1. Then a list",
  "   ~~~",
  "   indented fence in a list",
  "   ~~~",
  "",
  "````md",
  "```",
  "a fence inside a longer fence",
  "```",
  "````",
  "",
  "| a | b |",
  "|---|---|",
  "| 1 | 2 |",
  "",
  "Done.",
].join("\n");

describe("stabilizeStreamingMarkdown", () => {
  it("closes an open code fence with its own marker", () => {
    expect(stabilizeStreamingMarkdown("Look:\n```python\nprint(1)")).toBe("Look:\n```python\nprint(1)\n```");
    expect(stabilizeStreamingMarkdown("Look:\n```python\nprint(1)\n")).toBe("Look:\n```python\nprint(1)\n```");
    expect(stabilizeStreamingMarkdown("~~~~\ncode")).toBe("~~~~\ncode\n~~~~");
    expect(stabilizeStreamingMarkdown("- item\n  ```sh\n  ls")).toBe("- item\n  ```sh\n  ls\n  ```");
  });

  it("treats a fence line being typed as an empty code block, not as text", () => {
    expect(stabilizeStreamingMarkdown("Look:\n```py")).toBe("Look:\n```py\n```");
  });

  it("holds back a fence marker still being typed", () => {
    expect(stabilizeStreamingMarkdown("Look:\n`")).toBe("Look:\n");
    expect(stabilizeStreamingMarkdown("Look:\n``")).toBe("Look:\n");
    // …and the start of a closing fence inside a code block.
    expect(stabilizeStreamingMarkdown("```\ncode\n``")).toBe("```\ncode\n```");
  });

  it("ignores a shorter or foreign marker inside a longer fence", () => {
    expect(stabilizeStreamingMarkdown("````\n```\nstill code")).toBe("````\n```\nstill code\n````");
    expect(stabilizeStreamingMarkdown("```\n~~~\nstill code")).toBe("```\n~~~\nstill code\n```");
  });

  it("closes an inline code span or strong run left open in the last paragraph", () => {
    expect(stabilizeStreamingMarkdown("Run `npm ci")).toBe("Run `npm ci`");
    expect(stabilizeStreamingMarkdown("This is **very imp")).toBe("This is **very imp**");
    expect(stabilizeStreamingMarkdown("This is **very ")).toBe("This is **very**");
    // Nothing to close yet: an opener alone would render as a rule or literal marks.
    expect(stabilizeStreamingMarkdown("This is **")).toBe("This is **");
    expect(stabilizeStreamingMarkdown("Run `")).toBe("Run `");
    // `**` inside code is code.
    expect(stabilizeStreamingMarkdown("Use `a**b` now")).toBe("Use `a**b` now");
    // Earlier paragraphs are final.
    expect(stabilizeStreamingMarkdown("a `b\n\nc")).toBe("a `b\n\nc");
  });

  it("leaves complete markdown unchanged", () => {
    expect(stabilizeStreamingMarkdown(ANSWER)).toBe(ANSWER);
    expect(stabilizeStreamingMarkdown("")).toBe("");
    expect(stabilizeStreamingMarkdown("```a```")).toBe("```a```");
  });

  it("never leaves a fence open, whatever prefix of an answer has arrived", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ANSWER.length }), (end) => {
        const shown = stabilizeStreamingMarkdown(ANSWER.slice(0, end));
        expect(openFence(shown.split("\n"))).toBeNull();
        // What is shown is the arrived text, perhaps minus a marker being typed, plus closers.
        expect(ANSWER.slice(0, end).startsWith(shown.replace(/\n?\s*(`{3,}|~{3,})$|[`*]+$/, "").trimEnd())).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
