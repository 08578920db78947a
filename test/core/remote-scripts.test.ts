// Every value that reaches a remote shell is quoted: the generated scripts run here under a real
// `sh` with hostile values, and marker files prove that nothing in them ran. Scripts go on stdin
// behind one fixed command text, the same in every login shell.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { shellPath, shellQuote } from "../../src/core/ssh/shell.js";
import {
  EXIT_NOT_INSTALLED,
  SH_STDIN_COMMAND,
  hiveStartScript,
  hiveStopScript,
  installScript,
  type RemoteScript,
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

type Run = { code: number; stdout: string; stderr: string };

/** A command line here under `sh -c`, fed `stdin`. */
const shell = (command: string, stdin?: string): Promise<Run> =>
  new Promise((resolve) => {
    const child = execFile("sh", ["-c", command], { cwd: dir, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
    // A script that exits before reading all of its stdin is fine (EPIPE here).
    child.stdin?.on("error", () => {});
    child.stdin?.end(stdin);
  });

/** A remote script the way sshd runs it for an sh user: its command text under `sh -c`, the script on stdin. */
const sh = (script: RemoteScript | string): Promise<Run> =>
  typeof script === "string" ? shell(script) : shell(script.command, script.stdin);

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

describe("what goes on the command line", () => {
  const scripts = (token: string): RemoteScript[] => [
    installScript({ install_path: "~/rbee", git_branch: "main", git_repo_url: "https://example.invalid/rbee.git" }),
    hiveStartScript({ installPath: "~/rbee", nodeHome: "~/.rbee", nodeName: "mac", callbackUrl: "http://127.0.0.1:1", callbackToken: token }),
    hiveStartScript({ installPath: "~/rbee", nodeHome: "~/.rbee", nodeName: "mac", callbackUrl: "http://127.0.0.1:1", callbackToken: token, start: false }),
    hiveStopScript("~/.rbee"),
  ];

  test("every script has the same command text: plain words, the same in sh, bash, zsh, fish and csh", () => {
    for (const script of scripts("a".repeat(64))) {
      expect(script.command).toBe(SH_STDIN_COMMAND);
      // No quotes, backslashes, $, newlines or globs: nothing any shell would read differently.
      expect(script.command).toMatch(/^[a-z -]+$/);
    }
  });

  test("the callback token is in the script on stdin, not in the command text", () => {
    const token = "f00d".repeat(16);
    const [, start, attach] = scripts(token);
    for (const script of [start!, attach!]) {
      expect(script.command).not.toContain(token);
      expect(script.stdin).toContain(token);
    }
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
