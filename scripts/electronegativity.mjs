// Runs Electronegativity (Doyensec's Electron security linter) on the built app (out/) and fails on
// any finding of high severity or above. Its CLI breaks with the commander version npm hoists,
// so this calls its runner directly.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const require = createRequire(import.meta.url);
const runner = require("@doyensec/electronegativity/dist/runner.js");
const run = runner.default ?? runner;
const input = resolve(process.argv[2] ?? "out");
if (!existsSync(input)) {
  console.error(`electronegativity: ${input} does not exist; run npm run build first`);
  process.exit(1);
}
const { issues } = await run(
  {
    input,
    output: undefined,
    isSarif: false,
    customScan: [],
    // The one check that would fetch Electron release data from the internet; the version is pinned here.
    excludeFromScan: ["availablesecurityfixesglobalcheck"],
    severitySet: undefined,
    confidenceSet: undefined,
    isRelative: true,
    isVerbose: false,
    electronUpgrade: undefined,
    electronVersionOverride: "45.0.0",
    parserPlugins: [],
  },
  false,
);
const HIGH = 3; // INFORMATIONAL 0, LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4
for (const issue of issues) {
  console.log(`${issue.severity.name.padEnd(13)} ${issue.confidence.name.padEnd(9)} ${issue.id} ${issue.file}:${issue.location.line}`);
}
const high = issues.filter((issue) => issue.severity.value >= HIGH);
console.log(`electronegativity: ${issues.length} finding(s), ${high.length} of high severity or above`);
process.exit(high.length > 0 ? 1 : 0);
