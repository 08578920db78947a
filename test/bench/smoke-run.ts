// The benchmark's smoke mode as `npm run bench -- --smoke [--only …]` runs it, with the checks every
// smoke run must pass: each selected section ran and reported numbers, and nothing was left running.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import type { BenchReport, SectionId } from "../../bench/lib/report.js";
import { pidsMatching } from "../helpers/listening-sockets.js";
import { spawnNodeScript } from "../helpers/process.js";

const TSX = resolve("node_modules/tsx/dist/cli.mjs");

/** Runs the smoke benchmark of `sections` (writing its report under `dir`) and checks it; answers the report and stdout. */
export async function smokeRun(dir: string, sections: readonly SectionId[], timeoutMs: number): Promise<{ report: BenchReport; stdout: string }> {
  const out = join(dir, "smoke.json");
  // --no-build: the test setup has just built dist/ (and scripts/test.sh the renderer).
  const run = spawnNodeScript(TSX, ["bench/run.ts", "--smoke", "--no-build", "--only", sections.join(","), "--out", out]);
  const exit = await run.waitForExit(timeoutMs).catch(async (error: unknown) => {
    await run.stop(10_000);
    throw error;
  });
  const log = `${run.stdout()}\n${run.stderr()}`;
  expect(exit.code, log).toBe(0);
  expect(existsSync(out), log).toBe(true);

  const report = JSON.parse(readFileSync(out, "utf8")) as BenchReport;
  expect(report.mode).toBe("smoke");
  expect(report.machine.nproc).toBeGreaterThan(0);
  for (const id of sections) {
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
  expect(run.stdout()).toContain("| figure | median | p99 |");

  // Nothing the run started is left: no hive or worker from its scratch copy.
  const scratch = /scratch (\S+)/.exec(run.stderr())?.[1];
  expect(scratch).toBeDefined();
  expect(pidsMatching(scratch!)).toEqual([]);
  return { report, stdout: run.stdout() };
}
