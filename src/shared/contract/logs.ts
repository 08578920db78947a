import { z } from "zod";
import { ModelRef, WorkerId } from "./workers.js";
import { NodeName } from "./nodes.js";
import { ErrorCode } from "./errors.js";
import { ErrorEvent } from "./streams.js";

/** Lines a log read answers when the caller names no count. */
export const DEFAULT_LOG_LINES = 200;
/** The most lines one read may ask for. */
export const MAX_LOG_LINES = 10_000;
/** Longer lines are cut there (a worker printing a megabyte without a newline must not fill memory). */
export const MAX_LOG_LINE_CHARS = 16_384;
/** Lines of a dead worker's output its exit report carries. */
export const EXIT_TAIL_LINES = 20;

/** A line count in a query string (`?lines=50`) or a number over IPC: 0 to MAX_LOG_LINES. */
export const LogLineCount = z
  .union([z.number(), z.string().regex(/^\d{1,6}$/, "must be a whole number").transform(Number)])
  .pipe(z.number().int("must be a whole number").min(0).max(MAX_LOG_LINES, `at most ${MAX_LOG_LINES}`));

/** The hive's `GET /v1/logs` query: the hive's own log, or one worker's. */
export const HiveLogsQuery = z.strictObject({
  worker: WorkerId.optional(),
  lines: LogLineCount.optional(),
  follow: z.enum(["true", "false"]).optional(),
});

/** The last lines of a log, oldest first. */
export const LogsResponse = z.object({ lines: z.array(z.string()) });
export type LogsResponse = z.infer<typeof LogsResponse>;

/** One line of a followed log. */
export const LogEvent = z.object({ type: z.literal("log"), line: z.string() });
export type LogEvent = z.infer<typeof LogEvent>;

/** What a followed log streams: its lines; `error` when the node's link drops. */
export const LogStreamEvent = z.discriminatedUnion("type", [LogEvent, ErrorEvent]);
export type LogStreamEvent = z.infer<typeof LogStreamEvent>;

/** How a worker that nobody stopped ended, as its hive saw it. */
export const WorkerExitReport = z.strictObject({
  worker_id: WorkerId,
  model_ref: ModelRef,
  /** Exit code, or null when a signal ended it. */
  code: z.number().int().nullable(),
  signal: z.string().max(32).nullable(),
  exited_unix: z.number().int(),
  /** `loading`: it died before it was ready; `running`: after. */
  phase: z.enum(["loading", "running"]),
  /** The last lines of its output (stdout and stderr, as its log file has them). */
  last_lines: z.array(z.string().max(MAX_LOG_LINE_CHARS + 64)).max(EXIT_TAIL_LINES),
});
export type WorkerExitReport = z.infer<typeof WorkerExitReport>;

/** A worker's unexpected exit as the queen keeps it (until dismissed): the report plus its node. */
export const WorkerExit = WorkerExitReport.extend({
  node_name: NodeName,
  /** Set when the queen ended it itself, e.g. SHARD_LOST: a node holding part of its model went away. */
  error: z.object({ code: ErrorCode, message: z.string().max(2000) }).optional(),
});
export type WorkerExit = z.infer<typeof WorkerExit>;

/** `GET /v1/workers/exits`: the recent unexpected exits, newest first. */
export const WorkerExitsResponse = z.object({ exits: z.array(WorkerExit) });
export type WorkerExitsResponse = z.infer<typeof WorkerExitsResponse>;

/** The hive's `GET /v1/workers/exits`. */
export const HiveWorkerExitsResponse = z.object({ exits: z.array(WorkerExitReport) });
