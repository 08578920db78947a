// Every value that reaches a remote shell is quoted: the generated scripts run here under a real
// `sh` with hostile values, and marker files prove that nothing in them ran.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { shellPath, shellQuote } from "../../src/core/ssh/shell.js";
import {
  EXIT_NOT_INSTALLED,
  hiveStartScript,
  hiveStopScript,
  installScript,
} from "../../src/core/remote/remote-scripts.js";

let dir: string;
let marker: string;
const hostile = () => [
  `; touch ${marker}`,
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `' ; touch ${marker} ; '`,
  `" ; touch ${marker} ; "`,
  `x\ntouch ${marker}`,
  `$HOME/../$(touch ${marker})`,
];

const sh = (script: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile("sh", ["-c", script], { cwd: dir, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-quote-"));
  marker = join(dir, "pwned");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("shell quoting", () => {
  test("a quoted word comes back byte for byte", async () => {
    for (const value of [...hostile(), "", "plain", "a'b", "it's \"quoted\"", "tab\there", "ünïcödé"]) {
      const { stdout } = await sh(`printf %s ${shellQuote(value)}`);
      expect(stdout).toBe(value);
    }
    expect(existsSync(marker)).toBe(false);
  });

  test("~ paths expand to $HOME, the rest stays literal", async () => {
    expect((await sh(`printf %s ${shellPath("~/a b/$(x)")}`)).stdout).toBe(`${process.env.HOME}/a b/$(x)`);
    expect((await sh(`printf %s ${shellPath("~")}`)).stdout).toBe(process.env.HOME);
    expect((await sh(`printf %s ${shellPath("/abs/~/x")}`)).stdout).toBe("/abs/~/x");
  });
});

describe("the remote scripts with hostile values run nothing", () => {
  test("install: hostile path, branch and repository URL", async () => {
    for (const value of hostile()) {
      const script = installScript({
        install_path: join(dir, value, "rbee"),
        git_branch: value,
        git_repo_url: `file://${dir}/${value}`,
      });
      const result = await sh(script);
      expect(result.code).not.toBe(0);
    }
    expect(existsSync(marker)).toBe(false);
    // The hostile names were created literally, as directory names.
    expect(readdirSync(dir).some((name) => name.includes("$(touch"))).toBe(true);
  });

  test("hive start and stop: hostile install path, node home, node name, callback URL and token", async () => {
    for (const value of hostile()) {
      const start = await sh(
        hiveStartScript({
          installPath: join(dir, value),
          nodeHome: join(dir, "home", value),
          nodeName: value,
          callbackUrl: value,
          callbackToken: value,
        }),
      );
      expect(start.code).toBe(EXIT_NOT_INSTALLED);
      expect((await sh(hiveStopScript(join(dir, "home", value)))).code).toBe(0);
    }
    expect(existsSync(marker)).toBe(false);
  });
});
