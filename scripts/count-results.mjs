// Sums the tests of vitest's and Playwright's JSON reports: prints "PASSED FAILED SKIPPED".
//   node scripts/count-results.mjs VITEST.json PLAYWRIGHT.json [MORE_VITEST.json …]
// Skipped tests are counted, not hidden: a test that did not run is neither a pass nor a failure.
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
const [vitestFile, playwrightFile, ...moreVitestFiles] = process.argv.slice(2);

/** Adds one vitest report; a missing one counts as a failure. */
function countVitest(file) {
  if (file && existsSync(file)) {
    const report = JSON.parse(readFileSync(file, "utf8"));
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
    for (const result of report.testResults ?? []) {
      for (const test of result.assertionResults ?? []) {
        // skipped: .skip, .skipIf, or under a failed hook (that hook's suite is counted as failed above)
        if (test.status === "skipped" || test.status === "todo") skipped += 1;
        // "pending": still running when the report was written, so it never finished
        else if (test.status === "pending") failed += 1;
      }
    }
  } else {
    failed += 1;
  }
}
for (const file of [vitestFile, ...moreVitestFiles]) countVitest(file);

function walk(suite) {
  for (const spec of suite.specs ?? []) {
    for (const test of spec.tests ?? []) {
      const status = test.status; // expected | unexpected | flaky | skipped
      if (status === "expected" || status === "flaky") passed += 1;
      else if (status === "unexpected") failed += 1;
      else if (status === "skipped") skipped += 1;
    }
  }
  for (const child of suite.suites ?? []) walk(child);
}
if (playwrightFile && existsSync(playwrightFile)) {
  const report = JSON.parse(readFileSync(playwrightFile, "utf8"));
  for (const suite of report.suites ?? []) walk(suite);
  failed += (report.errors ?? []).length;
} else {
  failed += 1;
}
console.log(`${passed} ${failed} ${skipped}`);
