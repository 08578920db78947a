import { Router } from "express";
import {
  HeartbeatRequest,
  SpawnWorkerRequest,
  RegisterWorkerRequest,
  UpdateWorkerRequest,
  WorkerId,
  parseOrThrow,
} from "../../../shared/contract/index.js";
import type { Queen } from "../../queen.js";
import { principalOf } from "../auth.js";
import { streamWork } from "../sse.js";

/** The worker callbacks: what a worker (or its hive's relay) may call with its per-spawn token. */
export function workerCallbackRoutes(queen: Queen): Router {
  const router = Router();
  router.post("/register", (req, res) => {
    const request = parseOrThrow(RegisterWorkerRequest, req.body);
    const outcome = queen.registerWorker(request, principalOf(res));
    res.status(outcome === "created" ? 201 : 200).json({ worker: queen.workers.require(request.worker_id) });
  });
  router.post("/update", (req, res) => {
    const request = parseOrThrow(UpdateWorkerRequest, req.body);
    queen.assertMayActFor(principalOf(res), request.worker_id);
    res.json({ worker: queen.workers.update(request) });
  });
  router.post("/heartbeat", (req, res) => {
    const request = parseOrThrow(HeartbeatRequest, req.body);
    queen.assertMayActFor(principalOf(res), request.worker_id);
    res.json({ worker: queen.workers.heartbeat(request) });
  });
  return router;
}

/** The user's worker routes. */
export function workerRoutes(queen: Queen): Router {
  const router = Router();
  router.post("/spawn", async (req, res) => {
    await streamWork(res, queen.spawnOperation(parseOrThrow(SpawnWorkerRequest, req.body)));
  });
  router.get("/list", (_req, res) => {
    res.json({ workers: queen.workers.list() });
  });
  router.delete("/:id", async (req, res) => {
    const id = parseOrThrow(WorkerId, req.params.id, "worker id");
    await queen.stopWorker(id);
    res.status(204).end();
  });
  return router;
}
