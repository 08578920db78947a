import { fstatSync, statSync } from "node:fs";
import { RotatingLog } from "./rotating-log.js";

/** One line of the hive's log: `rbee-hive <ISO time> <message>`. */
export function hiveLogLine(message: string, now: Date = new Date()): string {
  return `rbee-hive ${now.toISOString()} ${message}`;
}

/** Whether file descriptor `fd` is the file at `path` (the queen's start script sends stderr there). */
function isFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const named = statSync(path);
    return open.isFile() && open.dev === named.dev && open.ino === named.ino;
  } catch {
    return false;
  }
}

/** The hive's own log: what it writes and who follows it. */
export interface HiveLog {
  /** Writes one message as a hive log line. */
  readonly log: (message: string) => void;
  readonly file: RotatingLog;
}

/**
 * The hive's log at `path` (RBEE_HOME/logs/hive.log), capped and rotated like a worker's. When the
 * hive's stderr already is that file (the queen starts it so, which also catches a crash's last
 * words), lines are written to it directly and it is rotated in place; otherwise (a terminal, a
 * test's pipe) each message also goes to `elsewhere` (the program's own stderr log).
 */
export function openHiveLog(path: string, elsewhere: (message: string) => void, maxBytes?: number): HiveLog {
  if (isFile(2, path)) {
    const file = new RotatingLog(path, maxBytes, { kind: "fd", fd: 2 });
    return { file, log: (message) => file.write(hiveLogLine(message)) };
  }
  const file = new RotatingLog(path, maxBytes);
  return {
    file,
    log: (message) => {
      elsewhere(message);
      file.write(hiveLogLine(message));
    },
  };
}
