// The hive's log files: capped in size (rotated into one previous file), read back by their last
// lines across the rotation, and the files of only the newest stopped workers kept.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { lastLines } from "../../src/hive/logs/last-lines.js";
import { RotatingLog, previousFile } from "../../src/hive/logs/rotating-log.js";
import { WorkerLogs } from "../../src/hive/logs/worker-logs.js";
import { MAX_LOG_LINE_CHARS } from "../../src/shared/contract/index.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-logs-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const line = (i: number): string => `line ${String(i).padStart(5, "0")} ${"x".repeat(40)}`;

describe("RotatingLog", () => {
  test("writing past the cap rotates into <file>.1: neither file passes the cap, and the newest lines survive in order", () => {
    const path = join(dir, "worker-w1.log");
    const cap = 4096;
    const log = new RotatingLog(path, cap);
    // 1000 lines of 52 bytes: about 13 caps' worth.
    for (let i = 0; i < 1000; i += 1) log.write(line(i));
    log.close();
    expect(statSync(path).size).toBeLessThanOrEqual(cap);
    expect(statSync(previousFile(path)).size).toBeLessThanOrEqual(cap);
    expect(readdirSync(dir).sort()).toEqual(["worker-w1.log", "worker-w1.log.1"]);
    // The current file starts where the previous one ended: together, the newest lines without a gap.
    const previous = readFileSync(previousFile(path), "utf8").trimEnd().split("\n");
    const current = readFileSync(path, "utf8").trimEnd().split("\n");
    const all = [...previous, ...current];
    expect(all.at(-1)).toBe(line(999));
    expect(all).toEqual(all.map((_, i) => line(1000 - all.length + i)));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("lastLines reads back across the rotation, oldest first, and never more than asked", () => {
    const path = join(dir, "hive.log");
    const log = new RotatingLog(path, 4096);
    for (let i = 0; i < 1000; i += 1) log.write(line(i));
    const current = readFileSync(path, "utf8").trimEnd().split("\n").length;
    // More than the current file holds: the rest comes from the previous file.
    expect(lastLines(path, current + 5)).toEqual(Array.from({ length: current + 5 }, (_, i) => line(1000 - current - 5 + i)));
    expect(lastLines(path, 3)).toEqual([line(997), line(998), line(999)]);
    expect(lastLines(path, 0)).toEqual([]);
    expect(lastLines(join(dir, "missing.log"), 10)).toEqual([]);
    log.close();
  });

  test("lastLines of a long file reads whole lines across its chunks (multi-byte characters included)", () => {
    const path = join(dir, "big.log");
    const log = new RotatingLog(path, 8 * 1024 * 1024);
    for (let i = 0; i < 5000; i += 1) log.write(`${line(i)} é✓`);
    log.close();
    expect(lastLines(path, 4000)).toEqual(Array.from({ length: 4000 }, (_, i) => `${line(1000 + i)} é✓`));
  });

  test("a line is one line: breaks are flattened and a huge line is cut", () => {
    const path = join(dir, "w.log");
    const log = new RotatingLog(path);
    log.write("two\nlines");
    log.write("y".repeat(MAX_LOG_LINE_CHARS * 3));
    log.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("two lines");
    expect(lines[1]!.length).toBeLessThan(MAX_LOG_LINE_CHARS + 20);
    expect(lines[1]).toMatch(/… \(cut\)$/);
  });

  test("a descriptor other writers append to (the hive's stderr) is rotated in place", () => {
    const path = join(dir, "hive.log");
    const fd = openSync(path, "a");
    const log = new RotatingLog(path, 2048, { kind: "fd", fd });
    for (let i = 0; i < 200; i += 1) log.write(line(i));
    log.close();
    closeSync(fd);
    expect(statSync(path).size).toBeLessThanOrEqual(2048);
    expect(lastLines(path, 1)).toEqual([line(199)]);
    expect(existsSync(previousFile(path))).toBe(true);
  });

  test("followers see each line as it is written, and the end", () => {
    const log = new RotatingLog(join(dir, "f.log"));
    const seen: string[] = [];
    let ended = false;
    const stop = log.onLine((text) => seen.push(text));
    log.onEnd(() => {
      ended = true;
    });
    log.write("a");
    log.write("b");
    stop();
    log.write("c");
    log.close();
    expect(seen).toEqual(["a", "b"]);
    expect(ended).toBe(true);
  });
});

describe("WorkerLogs", () => {
  test("keeps the files of the newest stopped workers only, and never a running worker's", () => {
    const logs = new WorkerLogs(dir, { keep: 3 });
    const running = logs.open("w-running");
    running.write("still here");
    // Six stopped workers, oldest first (their files' times say so).
    for (let i = 0; i < 6; i += 1) {
      writeFileSync(logs.pathOf(`w-${i}`), `worker ${i}\n`);
      writeFileSync(previousFile(logs.pathOf(`w-${i}`)), `worker ${i} before\n`);
      const when = new Date(Date.now() - (10 - i) * 60_000);
      utimesSync(logs.pathOf(`w-${i}`), when, when);
    }
    // Made the oldest of all: a running worker's file is kept whatever its age.
    utimesSync(logs.pathOf("w-running"), new Date(0), new Date(0));
    logs.prune();
    expect(readdirSync(dir).sort()).toEqual(
      ["worker-w-3.log", "worker-w-3.log.1", "worker-w-4.log", "worker-w-4.log.1", "worker-w-5.log", "worker-w-5.log.1", "worker-w-running.log"].sort(),
    );
    expect(logs.has("w-4")).toBe(true);
    expect(logs.has("w-0")).toBe(false);
    // Once it stops (its exit line written last), it is the newest stopped worker: w-3 goes.
    running.write("worker exited with code 0");
    running.close();
    expect(logs.running("w-running")).toBeUndefined();
    expect(logs.has("w-running")).toBe(true);
    expect(logs.has("w-3")).toBe(false);
  });
});
