import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";

// The reports in the shapes vitest's and Playwright's JSON reporters write (fields as of vitest 4 and
// Playwright 1.65): only what scripts/count-results.mjs reads.
const vitestReport = {
  numPassedTests: 2,
  numFailedTests: 1,
  numFailedTestSuites: 1,
  numPendingTests: 2,
  numTodoTests: 1,
  testResults: [
    {
      name: "a.test.ts",
      status: "failed",
      assertionResults: [
        { title: "passes", status: "passed" },
        { title: "passes too", status: "passed" },
        { title: "fails", status: "failed" },
        { title: "skip", status: "skipped" },
        { title: "skipIf (skipped: this machine has a GPU)", status: "skipped" },
        { title: "todo", status: "todo" },
      ],
    },
  ],
};

const playwrightReport = {
  suites: [
    {
      title: "chat.spec.ts",
      specs: [
        { title: "ok", tests: [{ status: "expected" }] },
        { title: "retried", tests: [{ status: "flaky" }] },
        { title: "broken", tests: [{ status: "unexpected" }] },
      ],
      suites: [{ title: "nested", specs: [{ title: "skipped", tests: [{ status: "skipped" }] }] }],
    },
  ],
  errors: [],
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-count-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function count(vitest: unknown, playwright: unknown, ...moreVitest: unknown[]): [passed: number, failed: number, skipped: number] {
  const files = [vitest, playwright, ...moreVitest].map((report, index) => {
    const file = join(dir, `${index}.json`);
    if (report !== undefined) writeFileSync(file, JSON.stringify(report));
    return file;
  });
  const out = execFileSync(process.execPath, [resolve("scripts/count-results.mjs"), ...files], { encoding: "utf8" });
  const numbers = out.trim().split(" ").map(Number);
  expect(numbers, `output ${JSON.stringify(out)}`).toHaveLength(3);
  return numbers as [number, number, number];
}

describe("count-results", () => {
  test("counts skipped and todo tests of both runners as skipped, not as passed", () => {
    // vitest: 2 passed; 1 failed test + 1 failed suite; 3 skipped. Playwright: 2 passed, 1 failed, 1 skipped.
    expect(count(vitestReport, playwrightReport)).toEqual([4, 3, 4]);
  });

  test("a run with nothing skipped says 0 skipped", () => {
    const allPassed = { numPassedTests: 1, numFailedTests: 0, numFailedTestSuites: 0, testResults: [{ assertionResults: [{ status: "passed" }] }] };
    expect(count(allPassed, { suites: [], errors: [] })).toEqual([1, 0, 0]);
  });

  test("a test still running when the report was written is a failure; a missing report is one", () => {
    const cut = { numPassedTests: 0, numFailedTests: 0, numFailedTestSuites: 0, testResults: [{ assertionResults: [{ status: "pending" }] }] };
    expect(count(cut, undefined)).toEqual([0, 2, 0]);
  });

  test("a second vitest report (the llama.cpp run) adds its tests; if it is missing, that is one failure", () => {
    const llama = { numPassedTests: 3, numFailedTests: 1, numFailedTestSuites: 0, testResults: [{ assertionResults: [{ status: "skipped" }] }] };
    expect(count(vitestReport, playwrightReport, llama)).toEqual([7, 4, 5]);
    const missing = join(dir, "missing.json");
    const out = execFileSync(process.execPath, [resolve("scripts/count-results.mjs"), missing, missing, missing], { encoding: "utf8" });
    expect(out.trim()).toBe("0 3 0");
  });

  test("Playwright's global errors count as failures", () => {
    expect(count({ numPassedTests: 0, testResults: [] }, { suites: [], errors: [{ message: "global setup failed" }] })).toEqual([0, 1, 0]);
  });
});
