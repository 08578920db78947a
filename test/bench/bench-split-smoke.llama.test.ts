// The benchmark's split section in smoke mode (`npm run bench -- --smoke --only split`): two loopback
// machines, the split worker and one llama-server worker through the queen, llama-server over the
// queen's tunnel and straight to rpc-server; every figure measured, nothing left running.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { smokeRun } from "./smoke-run.js";

const dir = mkdtempSync(join(tmpdir(), "rbee-bench-split-smoke-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("the split section measures the split worker against one node, and the tunnel against loopback", async () => {
  const { report } = await smokeRun(dir, ["split"], 170_000);
  expect(report.sections.split.figures.map((figure) => figure.id)).toEqual(["split.tokens", "split.tunnel", "split.load"]);
}, 180_000);
