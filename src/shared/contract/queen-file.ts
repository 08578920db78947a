import { z } from "zod";

/** The file's name under RBEE_HOME. */
export const QUEEN_FILE_NAME = "queen.json";

/**
 * `RBEE_HOME/queen.json`: written by a running queen (headless or the desktop app's) once it
 * listens, removed when it stops, read by `rbee-keeper` to find it without a URL or a port, so that
 * `--port 0` and a queen that moved to a free port are found as they are.
 */
export const QueenStateFile = z.object({
  /** Where the API answers, reachable from this machine (loopback when the queen binds every address). */
  url: z.string().regex(/^https?:\/\/[^/\s]+$/, "an http(s) origin without a path"),
  /** The process that wrote it: a file whose process is gone (or is another program now) is stale. */
  pid: z.number().int().min(1),
  /**
   * When that process started (Unix ms, its own clock): a pid reused by a later program has another
   * start time, so a file left by a queen that died is not taken for a running one.
   */
  started_unix_ms: z.number().int().min(0),
  version: z.string(),
});
export type QueenStateFile = z.infer<typeof QueenStateFile>;
