import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { nodeDefaults } from "../../src/core/nodes/install-source.js";

let dir: string;
const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-install-source-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("where nodes install from by default", () => {
  test("this installation's git origin first", async () => {
    git("init", "-q");
    git("remote", "add", "origin", "https://example.org/me/rbee.git");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ repository: { url: "git+https://example.org/published/rbee.git" } }));
    expect(await nodeDefaults(dir)).toEqual({ git_repo_url: "https://example.org/me/rbee.git", git_branch: "main", install_path: "~/rbee", source: "origin" });
  });

  test("else the repository package.json publishes (without npm's git+ prefix)", async () => {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ repository: { type: "git", url: "git+https://example.org/published/rbee.git" } }));
    expect(await nodeDefaults(dir)).toMatchObject({ git_repo_url: "https://example.org/published/rbee.git", source: "package" });
  });

  test("else none; an origin a node install would refuse is not offered", async () => {
    expect(await nodeDefaults(dir)).toMatchObject({ git_repo_url: null, source: "none" });
    git("init", "-q");
    git("remote", "add", "origin", "/a/relative/or/plain/path");
    expect(await nodeDefaults(dir)).toMatchObject({ git_repo_url: null, source: "none" });
  });
});
