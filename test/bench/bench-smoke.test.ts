// The benchmark's smoke mode, run as `npm run bench -- --smoke` would run it, so that the suite
// cannot rot: every section must run and report numbers. The figures themselves are not judged
// here (CI machines are shared and noisy); bench/results/latest.json of a full run is.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, test } from "vitest";
import { SECTION_IDS, type BenchReport } from "../../bench/lib/report.js";
import { pidsMatching } from "../helpers/listening-sockets.js";
import { spawnNodeScript } from "../helpers/process.js";

const TSX = resolve("node_modules/tsx/dist/cli.mjs");
const dir = mkdtempSync(join(tmpdir(), "rbee-bench-smoke-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("the benchmark's smoke run measures every section and cleans up after itself", async () => {
  const out = join(dir, "smoke.json");
  // --no-build: the test setup has just built dist/ (and scripts/test.sh the renderer).
  const run = spawnNodeScript(TSX, ["bench/run.ts", "--smoke", "--no-build", "--out", out]);
  const exit = await run.waitForExit(230_000).catch(async (error: unknown) => {
    await run.stop(10_000);
    throw error;
  });
  const log = `${run.stdout()}\n${run.stderr()}`;
  expect(exit.code, log).toBe(0);
  expect(existsSync(out), log).toBe(true);

  const report = JSON.parse(readFileSync(out, "utf8")) as BenchReport;
  expect(report.mode).toBe("smoke");
  expect(report.machine.nproc).toBeGreaterThan(0);
  for (const id of SECTION_IDS) {
    const section = report.sections[id];
    expect(section, `section ${id}`).toBeDefined();
    expect(section.status, `${id}: ${section.reason ?? ""}`).toBe("ok");
    const measured = section.figures.filter((figure) => !figure.skipped);
    expect(measured.length, `${id} has measured figures`).toBeGreaterThan(0);
    for (const figure of measured) {
      expect(Number.isFinite(figure.median), `${figure.id} median`).toBe(true);
      expect(Number.isFinite(figure.p99), `${figure.id} p99`).toBe(true);
      expect(figure.n, `${figure.id} samples`).toBeGreaterThan(0);
      if (figure.baseline) expect(Number.isFinite(figure.baseline.median), `${figure.id} baseline`).toBe(true);
    }
  }
  // The targets are printed beside their figures.
  expect(Object.values(report.sections).flatMap((section) => section.figures).filter((figure) => figure.target).length).toBeGreaterThanOrEqual(5);
  expect(run.stdout()).toContain("| figure | median | p99 |");

  // Nothing the run started is left: no hive or worker from its scratch copy.
  const scratch = /scratch (\S+)/.exec(run.stderr())?.[1];
  expect(scratch).toBeDefined();
  expect(pidsMatching(scratch!)).toEqual([]);
}, 250_000);
