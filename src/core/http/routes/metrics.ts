import { Router, type RequestHandler } from "express";
import type { QueenService } from "../../service/queen-service.js";
import { HTTP_ONLY_ROUTES } from "../http-only-routes.js";

/** `GET /metrics`: the queen's Prometheus exposition, for the user's token like every route. */
export function metricsRoutes(service: QueenService, auth: RequestHandler): Router {
  const router = Router();
  router.get(HTTP_ONLY_ROUTES.metrics.path, auth, async (_req, res) => {
    const { contentType, text } = await service.metrics();
    res.setHeader("Cache-Control", "no-store");
    res.type(contentType).send(text);
  });
  return router;
}
