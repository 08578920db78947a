// docs/api.md is generated from the API table during the build: the committed copy must be current.
import { execFileSync } from "node:child_process";
import { expect, test } from "vitest";

test("docs/api.md is the reference generated from the current table", () => {
  expect(() => execFileSync(process.execPath, ["scripts/gen-api-docs.mjs", "--check"], { stdio: "pipe" })).not.toThrow();
});
