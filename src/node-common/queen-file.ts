// RBEE_HOME/queen.json: how a running queen is found on its own machine. The queen writes it once it
// listens and removes it when it stops; rbee-keeper reads it, and ignores it when the process that
// wrote it is gone. Here (not in src/core) because the keeper reads it and never imports the core.
import { execFileSync } from "node:child_process";
import { closeSync, fchmodSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { QUEEN_FILE_NAME, QueenStateFile } from "../shared/contract/queen-file.js";

/**
 * How far apart the writer's own start time and the one the system reports for its pid may be:
 * `ps` reports whole seconds, and the two clocks are read at different moments.
 */
export const START_TIME_TOLERANCE_MS = 5_000;

/** `RBEE_HOME/queen.json`. */
export function queenFilePath(home: string): string {
  return join(home, QUEEN_FILE_NAME);
}

/** This process's queen.json for a queen listening at `url`. */
export function ownQueenState(url: string, version: string): QueenStateFile {
  return { url, pid: process.pid, started_unix_ms: Math.round(Date.now() - process.uptime() * 1000), version };
}

/**
 * Writes queen.json atomically: a 0600 file beside it, renamed over it, so that a reader never sees
 * half of one and the file is never readable by others, whatever an older one's mode was.
 */
export function writeQueenFile(home: string, state: QueenStateFile): string {
  const path = queenFilePath(home);
  const temporary = `${path}.${state.pid}.tmp`;
  try {
    const fd = openSync(temporary, "w", 0o600);
    try {
      fchmodSync(fd, 0o600);
      writeSync(fd, `${JSON.stringify(state)}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return path;
}

/**
 * Removes queen.json if it is still the one process `pid` wrote: another queen on the same home
 * may have replaced it since, and its file must stay. Answers whether it removed it.
 */
export function removeQueenFile(home: string, pid: number = process.pid): boolean {
  const path = queenFilePath(home);
  const current = parseState(path);
  if (current.kind !== "parsed" || current.state.pid !== pid) return false;
  rmSync(path, { force: true });
  return true;
}

/** What queen.json says: no file, a queen that runs, or a file to ignore and why. */
export type QueenFileLookup =
  | { readonly kind: "absent"; readonly path: string }
  | { readonly kind: "running"; readonly path: string; readonly state: QueenStateFile }
  | { readonly kind: "stale"; readonly path: string; readonly reason: string };

/** Reads queen.json and tells whether the queen that wrote it still runs. */
export function readQueenFile(home: string): QueenFileLookup {
  const path = queenFilePath(home);
  const parsed = parseState(path);
  if (parsed.kind === "absent") return { kind: "absent", path };
  if (parsed.kind === "invalid") return { kind: "stale", path, reason: parsed.reason };
  const { state } = parsed;
  switch (writerState(state.pid, state.started_unix_ms)) {
    case "running":
      return { kind: "running", path, state };
    case "gone":
      return { kind: "stale", path, reason: `the queen that wrote it (pid ${state.pid}) is not running` };
    case "other":
      return { kind: "stale", path, reason: `pid ${state.pid} is another program now: the queen that wrote it stopped` };
  }
}

/**
 * Whether the process that wrote a file is still running: `gone` when no process has its pid,
 * `other` when one does that is not it (another user's, or one started at another time: the pid
 * was reused), else `running`. Where the start time cannot be read (no `ps`), a live pid counts.
 */
export function writerState(pid: number, startedUnixMs: number): "running" | "gone" | "other" {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the pid exists but is another user's, and a queen writes only in its own user's home.
    return (error as NodeJS.ErrnoException).code === "EPERM" ? "other" : "gone";
  }
  const elapsedMs = processElapsedMs(pid);
  if (elapsedMs === "gone") return "gone";
  if (elapsedMs === undefined) return "running";
  return Math.abs(Date.now() - elapsedMs - startedUnixMs) <= START_TIME_TOLERANCE_MS ? "running" : "other";
}

/** How long process `pid` has run, from `ps -o etime=` (POSIX: [[dd-]hh:]mm:ss); undefined where ps cannot tell. */
function processElapsedMs(pid: number): number | "gone" | undefined {
  if (process.platform === "win32") return undefined;
  let text: string;
  try {
    text = execFileSync("ps", ["-o", "etime=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 2_000 });
  } catch (error) {
    // ps exits 1 with nothing printed when no such process exists (it ended since the kill above).
    const status = (error as { status?: number | null }).status;
    return status === 1 ? "gone" : undefined;
  }
  const match = /^\s*(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)\s*$/.exec(text);
  if (!match) return undefined;
  const [days, hours, minutes, seconds] = [match[1], match[2], match[3], match[4]].map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
}

type ParsedState =
  | { readonly kind: "absent" }
  | { readonly kind: "parsed"; readonly state: QueenStateFile }
  | { readonly kind: "invalid"; readonly reason: string };

function parseState(path: string): ParsedState {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? { kind: "absent" } : { kind: "invalid", reason: `it cannot be read (${code ?? String(error)})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "invalid", reason: "it is not JSON" };
  }
  const result = QueenStateFile.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue && issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ` : "";
    return { kind: "invalid", reason: `it is not a queen file (${field}${issue?.message ?? "invalid"})` };
  }
  return { kind: "parsed", state: result.data };
}
