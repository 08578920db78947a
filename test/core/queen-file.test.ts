// RBEE_HOME/queen.json (src/node-common/queen-file.ts): written atomically and 0600, removed only
// by the process that wrote it, and judged stale when that process is gone or its pid is another
// program's now. Real processes throughout: this test's own pid, and a child that has exited.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { RBEE_VERSION } from "../../src/shared/contract/index.js";
import {
  ownQueenState,
  queenFilePath,
  readQueenFile,
  removeQueenFile,
  writeQueenFile,
  writerState,
} from "../../src/node-common/queen-file.js";
import { startQueenServer } from "../../src/core/queen-server.js";

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "rbee-queen-file-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** The pid of a process that has run and exited (so no process has it, barring reuse). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid!;
}

const HOUR_MS = 3_600_000;

describe("writeQueenFile", () => {
  test("writes {url, pid, started_unix_ms, version} as 0600, with no temporary file left beside it", () => {
    const path = writeQueenFile(home, ownQueenState("http://127.0.0.1:41234", RBEE_VERSION));
    expect(path).toBe(join(home, "queen.json"));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(path, "utf8"));
    expect(written).toEqual({ url: "http://127.0.0.1:41234", pid: process.pid, started_unix_ms: expect.any(Number), version: RBEE_VERSION });
    // This process started before now, and within the tolerance of what ps says (below).
    expect(written.started_unix_ms).toBeLessThanOrEqual(Date.now());
    expect(readdirSync(home)).toEqual(["queen.json"]);
  });

  test("replaces an older file that others could read with a 0600 one", () => {
    const path = queenFilePath(home);
    writeFileSync(path, "old", { mode: 0o644 });
    chmodSync(path, 0o644);
    writeQueenFile(home, ownQueenState("http://127.0.0.1:1", RBEE_VERSION));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8")).url).toBe("http://127.0.0.1:1");
  });
});

describe("readQueenFile", () => {
  test("no file: absent", () => {
    expect(readQueenFile(home)).toEqual({ kind: "absent", path: join(home, "queen.json") });
  });

  test("a file this running process wrote: running", () => {
    const state = ownQueenState("http://127.0.0.1:41234", RBEE_VERSION);
    writeQueenFile(home, state);
    expect(readQueenFile(home)).toEqual({ kind: "running", path: join(home, "queen.json"), state });
  });

  test("a file whose process has exited: stale, saying so", async () => {
    const pid = await deadPid();
    writeQueenFile(home, { url: "http://127.0.0.1:41234", pid, started_unix_ms: Date.now(), version: RBEE_VERSION });
    expect(readQueenFile(home)).toEqual({
      kind: "stale",
      path: join(home, "queen.json"),
      reason: `the queen that wrote it (pid ${pid}) is not running`,
    });
  });

  test("a live pid that started at another time than the writer (a reused pid): stale", () => {
    writeQueenFile(home, { ...ownQueenState("http://127.0.0.1:41234", RBEE_VERSION), started_unix_ms: Date.now() - HOUR_MS });
    expect(readQueenFile(home)).toMatchObject({
      kind: "stale",
      reason: `pid ${process.pid} is another program now: the queen that wrote it stopped`,
    });
  });

  test("a file that is not JSON, or not a queen's: stale, saying what is wrong", () => {
    const path = queenFilePath(home);
    writeFileSync(path, "{half");
    expect(readQueenFile(home)).toEqual({ kind: "stale", path, reason: "it is not JSON" });
    writeFileSync(path, JSON.stringify({ url: "http://127.0.0.1:1/some/path", pid: process.pid, started_unix_ms: 0, version: "x" }));
    expect(readQueenFile(home)).toMatchObject({ kind: "stale", reason: expect.stringMatching(/^it is not a queen file \(url: /) });
    writeFileSync(path, JSON.stringify({ url: "http://127.0.0.1:1", version: "x" }));
    expect(readQueenFile(home)).toMatchObject({ kind: "stale", reason: expect.stringMatching(/^it is not a queen file \(pid: /) });
  });
});

describe("writerState", () => {
  test("this process, as it describes itself: running; an hour off: other; an exited one: gone", async () => {
    const { started_unix_ms } = ownQueenState("http://127.0.0.1:1", RBEE_VERSION);
    expect(writerState(process.pid, started_unix_ms)).toBe("running");
    expect(writerState(process.pid, started_unix_ms - HOUR_MS)).toBe("other");
    expect(writerState(process.pid, started_unix_ms + HOUR_MS)).toBe("other");
    expect(writerState(await deadPid(), started_unix_ms)).toBe("gone");
  });
});

describe("removeQueenFile", () => {
  test("removes the file this process wrote", () => {
    writeQueenFile(home, ownQueenState("http://127.0.0.1:1", RBEE_VERSION));
    expect(removeQueenFile(home)).toBe(true);
    expect(existsSync(queenFilePath(home))).toBe(false);
    // Gone already: nothing to do.
    expect(removeQueenFile(home)).toBe(false);
  });

  test("leaves a file another queen wrote since, and one that is not a queen file", () => {
    writeQueenFile(home, { ...ownQueenState("http://127.0.0.1:2", RBEE_VERSION), pid: process.pid + 1 });
    expect(removeQueenFile(home)).toBe(false);
    expect(JSON.parse(readFileSync(queenFilePath(home), "utf8")).url).toBe("http://127.0.0.1:2");
    writeFileSync(queenFilePath(home), "{half");
    expect(removeQueenFile(home)).toBe(false);
    expect(existsSync(queenFilePath(home))).toBe(true);
  });
});

describe("startQueenServer with writeQueenFile (what queen-rbee and the desktop app pass)", () => {
  test("writes the file once listening, with a loopback URL; close removes it", async () => {
    const server = await startQueenServer({ home, host: "127.0.0.1", port: 0, writeQueenFile: true, log: () => {} });
    try {
      expect(readQueenFile(home)).toMatchObject({ kind: "running", state: { url: server.baseUrl, pid: process.pid, version: RBEE_VERSION } });
      expect(statSync(queenFilePath(home)).mode & 0o777).toBe(0o600);
    } finally {
      await server.close();
    }
    expect(existsSync(queenFilePath(home))).toBe(false);
  });

  test("without it, no file (the tests' in-process queens, a library user)", async () => {
    const server = await startQueenServer({ home, host: "127.0.0.1", port: 0, log: () => {} });
    try {
      expect(readQueenFile(home).kind).toBe("absent");
    } finally {
      await server.close();
    }
  });
});
