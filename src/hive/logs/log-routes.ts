import { Router } from "express";
import {
  DEFAULT_LOG_LINES,
  HiveLogsQuery,
  RbeeError,
  type LogStreamEvent,
  type LogsResponse,
  parseOrThrow,
} from "../../shared/contract/index.js";
import { openSse } from "../../node-common/sse-response.js";
import { lastLines } from "./last-lines.js";
import type { RotatingLog } from "./rotating-log.js";
import type { WorkerLogs } from "./worker-logs.js";

/** The logs a hive serves: its own, and its workers'. */
export interface HiveLogs {
  readonly hive: RotatingLog;
  readonly workers: WorkerLogs;
}

/** A comment line this often keeps a quiet followed log (and its SSH tunnel) open. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /v1/logs[?worker=ID][&lines=N][&follow=true]`: the last N lines (default 200) of the hive's
 * log or of one worker's (running, or kept after it stopped), as `{lines}`; with `follow=true` an
 * event stream of those lines, then each new one as it is written, ending once the worker exits
 * (at once for a worker that already has). Behind the hive token like every route but health.
 */
export function logRoutes(logs: HiveLogs): Router {
  const router = Router();
  router.get("/v1/logs", (req, res) => {
    const query = parseOrThrow(HiveLogsQuery, req.query, "query");
    const count = query.lines ?? DEFAULT_LOG_LINES;
    let path = logs.hive.path;
    let live: RotatingLog | undefined = logs.hive;
    if (query.worker !== undefined) {
      if (!logs.workers.has(query.worker)) throw new RbeeError("WORKER_NOT_FOUND", `No log of worker '${query.worker}' on this node`);
      path = logs.workers.pathOf(query.worker);
      live = logs.workers.running(query.worker);
    }
    if (query.follow !== "true") {
      res.json({ lines: lastLines(path, count) } satisfies LogsResponse);
      return;
    }
    const sse = openSse<LogStreamEvent>(res, { keepAliveMs: KEEPALIVE_MS });
    // Read and subscribe in one synchronous step: no line can fall between the two.
    for (const line of lastLines(path, count)) sse.send({ type: "log", line });
    if (!live?.writable) {
      sse.done();
      return;
    }
    const stopLines = live.onLine((line) => sse.send({ type: "log", line }));
    const stopEnd = live.onEnd(() => {
      stopLines();
      sse.done();
    });
    sse.onClose(() => {
      stopLines();
      stopEnd();
    });
  });
  return router;
}
