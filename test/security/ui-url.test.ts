// The UI link carries the API token. It is printed only to a terminal: a pipe or a file (a service
// manager's journal, CI logs) gets the path of a 0600 file instead. A short RBEE_TOKEN is refused.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { announceUi } from "../../src/core/queen-cli.js";
import { MIN_API_TOKEN_LENGTH as MIN_TOKEN_LENGTH } from "../../src/core/queen.js";
import { startQueen } from "../helpers/queen-process.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-ui-url-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs queen-rbee to its exit (for a start it refuses); answers its code and output. */
function runQueenToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [resolve("dist/bin/queen-rbee.js"), "--port", "0"], {
    env: { ...process.env, RBEE_HOME: join(dir, "refused"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    // It was not refused after all: stop it, and let the test say so.
    if (stdout.includes("listening")) child.kill("SIGKILL");
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveExit) => child.once("exit", (code) => resolveExit({ code, stdout, stderr })));
}

describe("queen-rbee with stdout not a terminal", () => {
  test("prints no token: the link is in RBEE_HOME/logs/ui-url, mode 0600, and the line names that file", async () => {
    const queen = await startQueen();
    try {
      const token = readFileSync(join(queen.home, "token"), "utf8").trim();
      expect(queen.output()).not.toContain(token);
      expect(queen.output()).not.toContain("#token=");
      const file = join(queen.home, "logs", "ui-url");
      expect(queen.output()).toContain(`Open the UI with the link in ${file}`);
      expect(readFileSync(file, "utf8")).toBe(`${queen.baseUrl}/#token=${token}\n`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await queen.stop();
    }
  });

  test(`takes an RBEE_TOKEN of ${MIN_TOKEN_LENGTH} characters`, async () => {
    const token = "t".repeat(MIN_TOKEN_LENGTH);
    const queen = await startQueen({ env: { RBEE_TOKEN: token } });
    try {
      expect(queen.token).toBe(token);
      expect(queen.output()).not.toContain(token);
      expect((await fetch(`${queen.baseUrl}/v2/registry/beehives/list`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await queen.stop();
    }
  });

  test("refuses a shorter RBEE_TOKEN: exit 1 with a clear error, nothing listening, no link written", async () => {
    const refused = await runQueenToExit({ RBEE_TOKEN: "s".repeat(MIN_TOKEN_LENGTH - 1) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`queen-rbee: RBEE_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
    expect(refused.stdout).not.toContain("listening");
    expect(existsSync(join(dir, "refused", "logs", "ui-url"))).toBe(false);
  });
});

describe("announceUi", () => {
  test("to a terminal: the link itself, and no file", () => {
    const logs = mkdtempSync(join(dir, "tty-"));
    expect(announceUi("http://127.0.0.1:8080/#token=abc", { tty: true, logs })).toBe("Open the UI: http://127.0.0.1:8080/#token=abc");
    expect(existsSync(join(logs, "ui-url"))).toBe(false);
  });

  test("elsewhere: an older, readable ui-url file is made 0600 before the new link goes in", () => {
    const logs = mkdtempSync(join(dir, "pipe-"));
    writeFileSync(join(logs, "ui-url"), "old\n", { mode: 0o644 });
    const line = announceUi("http://127.0.0.1:8080/#token=abc", { tty: false, logs });
    expect(line).not.toContain("token=");
    expect(statSync(join(logs, "ui-url")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(logs, "ui-url"), "utf8")).toBe("http://127.0.0.1:8080/#token=abc\n");
  });
});
