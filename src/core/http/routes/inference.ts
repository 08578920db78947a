import { Router } from "express";
import { InferenceRequest, parseOrThrow } from "../../../shared/contract/index.js";
import type { Queen } from "../../queen.js";
import { streamWork } from "../sse.js";

/** `/v1/inference`: run a prompt on the fleet (SSE) and cancel a running job. */
export function inferenceRoutes(queen: Queen): Router {
  const router = Router();
  router.post("/", async (req, res) => {
    await streamWork(res, queen.inferOperation(parseOrThrow(InferenceRequest, req.body)));
  });
  router.delete("/:jobId", async (req, res) => {
    await queen.inference.cancel(req.params.jobId);
    res.status(204).end();
  });
  return router;
}
