import { Router, type RequestHandler } from "express";
import { HeartbeatRequest, RegisterWorkerRequest, UpdateWorkerRequest, WorkerExitReport, parseOrThrow } from "../../shared/contract/index.js";
import type { QueenService } from "../service/queen-service.js";
import { principalOf } from "./auth.js";
import { HTTP_ONLY_ROUTES } from "./http-only-routes.js";

/**
 * The worker callbacks. `admit` authenticates (and may parse the body after that): the queen token
 * on the API port; on the callback listener also a worker's per-spawn token or its hive's node token.
 */
export function callbackRoutes(service: QueenService, admit: RequestHandler | readonly RequestHandler[]): Router {
  const router = Router();
  const chain = Array.isArray(admit) ? [...admit] : [admit as RequestHandler];
  const { registerWorker, updateWorker, heartbeat, workerExited } = HTTP_ONLY_ROUTES;
  router.post(registerWorker.path, ...chain, (req, res) => {
    const { created, worker } = service.registerWorker(parseOrThrow(RegisterWorkerRequest, req.body), principalOf(res));
    res.status(created ? 201 : 200).json({ worker });
  });
  router.post(updateWorker.path, ...chain, (req, res) => {
    res.json({ worker: service.updateWorker(parseOrThrow(UpdateWorkerRequest, req.body), principalOf(res)) });
  });
  router.post(heartbeat.path, ...chain, (req, res) => {
    res.json({ worker: service.heartbeat(parseOrThrow(HeartbeatRequest, req.body), principalOf(res)) });
  });
  router.post(workerExited.path, ...chain, (req, res) => {
    res.json({ exit: service.workerExited(parseOrThrow(WorkerExitReport, req.body, "exit report"), principalOf(res)) });
  });
  return router;
}
