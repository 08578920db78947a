// The README's bare `rbee-keeper …` and `queen-rbee …`: after `npm run build` and `npm link` in the
// checkout they are commands on the PATH. Run on a copy of the built package (package.json's name,
// version, type, bin and its bin-modes script, and dist/) linked into a temporary npm prefix, so
// that npm never touches this checkout's node_modules; the copy gets node_modules only after npm
// is done with it.
import { execFile } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const ROOT = resolve(".");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  type: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

let work: string;
let copy: string;
let prefix: string;
/** This test's environment without what an outer `npm`/`npx` passed down, and with the prefix's bin first on the PATH. */
let env: NodeJS.ProcessEnv;

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(command, [...args], { cwd, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolveRun({ code, stdout, stderr: stderr || (error && typeof error.code === "string" ? error.code : "") });
    });
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "rbee-link-"));
  copy = join(work, "rbee");
  prefix = join(work, "prefix");
  mkdirSync(prefix);
  env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")));
  env.npm_config_prefix = prefix;
  env.PATH = `${join(prefix, "bin")}${delimiter}${process.env.PATH ?? ""}`;
  const { name, version, type, bin } = pkg;
  mkdirSync(copy);
  writeFileSync(
    join(copy, "package.json"),
    JSON.stringify({ name, version, type, bin, scripts: { "build:bin-modes": pkg.scripts["build:bin-modes"] } }),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the programs on the PATH", () => {
  test("every bin is a built file that starts with a node shebang", () => {
    expect(Object.keys(pkg.bin).sort()).toEqual(["llm-worker-rbee", "queen-rbee", "rbee-hive", "rbee-keeper"]);
    for (const target of Object.values(pkg.bin)) {
      expect(readFileSync(join(ROOT, target), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
    }
  });

  test("npm link puts rbee-keeper and queen-rbee on the PATH; a clean rebuild keeps them runnable", async () => {
    cpSync(join(ROOT, "dist"), join(copy, "dist"), { recursive: true });
    const linked = await run("npm", ["link", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], copy);
    expect(linked).toMatchObject({ code: 0 });
    // npm is done with the copy: now it may import its dependencies.
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");

    const keeper = await run("rbee-keeper", ["--help"], work);
    expect(keeper.code).toBe(0);
    expect(keeper.stdout).toMatch(/^Usage: rbee-keeper /);
    const queen = await run("queen-rbee", ["--help"], work);
    expect(queen.code).toBe(0);
    expect(queen.stdout).toMatch(/^Usage: queen-rbee /);

    // `rm -rf dist && npm run build` after linking: tsc writes new files, 0644 ...
    for (const target of Object.values(pkg.bin)) {
      const file = join(copy, target);
      const text = readFileSync(file);
      rmSync(file);
      writeFileSync(file, text, { mode: 0o644 });
      chmodSync(file, 0o644);
    }
    expect((await run("rbee-keeper", ["--help"], work)).code).not.toBe(0);
    // ... and the build's last step makes them executable again.
    expect(await run("npm", ["run", "--silent", "build:bin-modes"], copy)).toMatchObject({ code: 0 });
    for (const target of Object.values(pkg.bin)) expect(statSync(join(copy, target)).mode & 0o111).toBe(0o111);
    expect(await run("rbee-keeper", ["--help"], work)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: rbee-keeper /) });
  });
});
