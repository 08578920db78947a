import { Router, type RequestHandler } from "express";
import { HeartbeatRequest, RegisterWorkerRequest, UpdateWorkerRequest, parseOrThrow } from "../../shared/contract/index.js";
import type { QueenService } from "../service/queen-service.js";
import { principalOf } from "./auth.js";
import { HTTP_ONLY_ROUTES } from "./http-only-routes.js";

/** The worker callbacks: what a worker (or its hive's relay) may call with its per-spawn token. */
export function callbackRoutes(service: QueenService, auth: RequestHandler): Router {
  const router = Router();
  const { registerWorker, updateWorker, heartbeat } = HTTP_ONLY_ROUTES;
  router.post(registerWorker.path, auth, (req, res) => {
    const { created, worker } = service.registerWorker(parseOrThrow(RegisterWorkerRequest, req.body), principalOf(res));
    res.status(created ? 201 : 200).json({ worker });
  });
  router.post(updateWorker.path, auth, (req, res) => {
    res.json({ worker: service.updateWorker(parseOrThrow(UpdateWorkerRequest, req.body), principalOf(res)) });
  });
  router.post(heartbeat.path, auth, (req, res) => {
    res.json({ worker: service.heartbeat(parseOrThrow(HeartbeatRequest, req.body), principalOf(res)) });
  });
  return router;
}
