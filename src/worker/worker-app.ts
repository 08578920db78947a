import express, { type Express } from "express";
import { RbeeError, type WorkerHealthResponse, type WorkerReadyResponse, type WorkerShutdownResponse } from "../shared/contract/index.js";
import { requireBearer } from "./bearer-auth.js";
import { embeddingsRoute } from "./embeddings-route.js";
import { errorHandler, sendError } from "./http-errors.js";
import { inferenceRoute } from "./inference-route.js";
import type { WorkerLog } from "./worker-log.js";
import type { WorkerRuntime } from "./worker-runtime.js";

/** What the HTTP layer needs from the process around it. */
export type WorkerAppOptions = {
  readonly runtime: WorkerRuntime;
  readonly token: string;
  readonly log: WorkerLog;
  /** Called once `POST /v1/admin/shutdown` has been answered. */
  readonly onShutdownRequested: () => void;
};

/** Largest accepted request body (docs/api.md): bigger ones get 413. */
export const BODY_LIMIT = "1mb";

/**
 * The worker's HTTP API: `GET /health` without auth; `GET /v1/ready`,
 * `POST /v1/inference`, `POST /v1/embeddings`, `DELETE /v1/inference/:job_id` and `POST /v1/admin/shutdown` behind the
 * bearer token. Errors are the contract's ErrorBody.
 */
export function createWorkerApp({ runtime, token, log, onShutdownRequested }: WorkerAppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/health", (_req, res) => {
    res.json({ status: "ok", state: runtime.state } satisfies WorkerHealthResponse);
  });

  app.use(requireBearer(token));

  app.get("/v1/ready", (_req, res) => {
    res.json(runtime.readiness() satisfies WorkerReadyResponse);
  });

  app.post("/v1/inference", express.json({ limit: BODY_LIMIT }), inferenceRoute(runtime, log));

  app.post("/v1/embeddings", express.json({ limit: BODY_LIMIT }), embeddingsRoute(runtime));

  app.delete("/v1/inference/:job_id", (req, res) => {
    const jobId = req.params.job_id;
    if (!runtime.jobs.cancel(jobId)) throw new RbeeError("JOB_NOT_FOUND", `No running job ${jobId} on this worker`);
    res.status(204).end();
  });

  app.post("/v1/admin/shutdown", (_req, res) => {
    res.on("finish", onShutdownRequested);
    res.status(202).json({ status: "stopping" } satisfies WorkerShutdownResponse);
  });

  app.use((req, res) => {
    sendError(res, new RbeeError("ROUTE_NOT_FOUND", `No route ${req.method} ${req.path} on this worker`));
  });
  app.use(errorHandler(log));
  return app;
}
