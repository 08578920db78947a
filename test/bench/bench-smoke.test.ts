// The benchmark's smoke mode, run as `npm run bench -- --smoke` would run it, so that the suite
// cannot rot: every section must run and report numbers. The figures themselves are not judged
// here (CI machines are shared and noisy); bench/results/latest.json of a full run is. The split
// section needs the llama.cpp build: bench-split-smoke.llama.test.ts runs it once that is there.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { SECTION_IDS } from "../../bench/lib/report.js";
import { smokeRun } from "./smoke-run.js";

const dir = mkdtempSync(join(tmpdir(), "rbee-bench-smoke-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("the benchmark's smoke run measures every section and cleans up after itself", async () => {
  const { report } = await smokeRun(dir, SECTION_IDS.filter((id) => id !== "split"), 230_000);
  // The targets are printed beside their figures.
  expect(Object.values(report.sections).flatMap((section) => section.figures).filter((figure) => figure.target).length).toBeGreaterThanOrEqual(5);
}, 250_000);
