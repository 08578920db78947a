// Sums passed and failed tests from vitest's and Playwright's JSON reports: prints "PASSED FAILED".
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
const [vitestFile, playwrightFile] = process.argv.slice(2);

if (vitestFile && existsSync(vitestFile)) {
  const report = JSON.parse(readFileSync(vitestFile, "utf8"));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
} else {
  failed += 1;
}

function walk(suite) {
  for (const spec of suite.specs ?? []) {
    for (const test of spec.tests ?? []) {
      const status = test.status; // expected | unexpected | flaky | skipped
      if (status === "expected" || status === "flaky") passed += 1;
      else if (status === "unexpected") failed += 1;
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
console.log(`${passed} ${failed}`);
