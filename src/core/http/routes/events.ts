import { Router } from "express";
import type { QueenEvent } from "../../../shared/contract/index.js";
import type { Queen } from "../../queen.js";
import { openSse, sseKeepAlive } from "../sse.js";

const KEEP_ALIVE_MS = 15_000;

/**
 * `GET /v1/events`: a snapshot of nodes and workers on connect, then a fresh snapshot after each
 * change. Bursts of changes within one tick are sent as one snapshot per kind.
 */
export function eventRoutes(queen: Queen): Router {
  const router = Router();
  router.get("/", (_req, res) => {
    const sse = openSse(res);
    const pending = new Set<QueenEvent["type"]>();
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      for (const type of pending) sse.send(snapshot(queen, type));
      pending.clear();
    };
    const schedule = (type: QueenEvent["type"]) => (): void => {
      pending.add(type);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    };
    sse.send(snapshot(queen, "nodes"));
    sse.send(snapshot(queen, "workers"));
    const disposables = [queen.beehives.onDidChange(schedule("nodes")), queen.workers.onDidChange(schedule("workers"))];
    const keepAlive = setInterval(() => sseKeepAlive(res), KEEP_ALIVE_MS);
    sse.onClose(() => {
      clearInterval(keepAlive);
      for (const dispose of disposables) dispose();
    });
  });
  return router;
}

function snapshot(queen: Queen, type: QueenEvent["type"]): QueenEvent {
  return type === "nodes" ? { type, nodes: queen.beehives.list() } : { type, workers: queen.workers.list() };
}
