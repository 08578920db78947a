import { describe, expect, test } from "vitest";
import { EMPTY_LOG_BUFFER, MAX_KEPT_LOG_LINES, appendLines } from "../../src/renderer/views/logs/log-buffer.js";
import { exitText } from "../../src/renderer/lib/exit-text.js";

describe("the Logs panel's buffer", () => {
  test("keeps the newest lines up to its bound and counts the dropped ones", () => {
    let buffer = EMPTY_LOG_BUFFER;
    for (let batch = 0; batch < 5; batch += 1) {
      buffer = appendLines(buffer, Array.from({ length: 700 }, (_, i) => `line ${batch * 700 + i}`));
    }
    expect(buffer.lines).toHaveLength(MAX_KEPT_LOG_LINES);
    expect(buffer.dropped).toBe(3500 - MAX_KEPT_LOG_LINES);
    expect(buffer.lines[0]).toBe(`line ${3500 - MAX_KEPT_LOG_LINES}`);
    expect(buffer.lines.at(-1)).toBe("line 3499");
    expect(appendLines(buffer, [])).toBe(buffer);
  });
});

describe("a dead worker's reason in words", () => {
  test("a signal, or an exit code, and when", () => {
    expect(exitText({ code: null, signal: "SIGKILL", phase: "running" })).toBe("was killed by SIGKILL while running");
    expect(exitText({ code: 1, signal: null, phase: "loading" })).toBe("exited with code 1 while loading its model");
  });
});
