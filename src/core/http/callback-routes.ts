import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { Router } from "express";
import { HeartbeatRequest, RegisterWorkerRequest, UpdateWorkerRequest, WorkerExitReport, parseOrThrow } from "../../shared/contract/index.js";
import type { Principal } from "../queen.js";
import type { QueenService } from "../service/queen-service.js";
import { authenticate } from "./auth.js";
import { HTTP_ONLY_ROUTES } from "./http-only-routes.js";
import { admitted, pathOf, readJsonBody, sendError, sendJson, type LeanListenerOptions } from "./lean-json.js";

/** One worker callback: its path, and its answer (status and body) to a body from a principal. */
interface Callback {
  readonly path: string;
  answer(service: QueenService, body: unknown, principal: Principal): readonly [status: number, body: unknown];
}

const { registerWorker, updateWorker, heartbeat, workerExited } = HTTP_ONLY_ROUTES;

const CALLBACKS: readonly Callback[] = [
  {
    path: registerWorker.path,
    answer(service, body, principal) {
      const { created, worker } = service.registerWorker(parseOrThrow(RegisterWorkerRequest, body), principal);
      return [created ? 201 : 200, { worker }];
    },
  },
  {
    path: updateWorker.path,
    answer: (service, body, principal) => [200, { worker: service.updateWorker(parseOrThrow(UpdateWorkerRequest, body), principal) }],
  },
  {
    path: heartbeat.path,
    answer: (service, body, principal) => [200, { worker: service.heartbeat(parseOrThrow(HeartbeatRequest, body), principal) }],
  },
  {
    path: workerExited.path,
    answer: (service, body, principal) => [200, { exit: service.workerExited(parseOrThrow(WorkerExitReport, body, "exit report"), principal) }],
  },
];

/** The callbacks by path as Express routes them: case-insensitive, one trailing slash allowed. */
const BY_PATH = new Map(CALLBACKS.flatMap((callback) => [[callback.path, callback], [`${callback.path}/`, callback]] as const));

/** The callback a request asks for, if any. */
function callbackFor(req: IncomingMessage): Callback | undefined {
  return req.method === "POST" ? BY_PATH.get(pathOf(req).toLowerCase()) : undefined;
}

export interface CallbackOptions {
  /** Whether a worker's per-spawn token or its hive's node token is admitted (the callback listener), or the queen token only. */
  readonly allowWorkers: boolean;
  readonly log: (message: string) => void;
}

/**
 * Serves one callback on bare node:http: the token first (a caller without one does not get a
 * megabyte of JSON read), then the body as `express.json` reads it, validated by the contract.
 * Every failure is answered here, as the API's error body.
 */
function serveCallback(service: QueenService, callback: Callback, req: IncomingMessage, res: ServerResponse, options: CallbackOptions): void {
  const fail = (error: unknown): void => sendError(res, error, `${req.method} ${pathOf(req)}`, options.log);
  let principal: Principal;
  try {
    principal = authenticate(service, req.headers, options.allowWorkers);
  } catch (error) {
    fail(error);
    return;
  }
  readJsonBody(req).then((body) => {
    const [status, answer] = callback.answer(service, body, principal);
    sendJson(res, status, answer);
  }).catch(fail);
}

/**
 * The worker callbacks as Express routes, for the Express app on its own (the API listener answers
 * them ahead of Express, with `leanCallbacks`); each is served by `serveCallback`, so mounted before
 * any body parser.
 */
export function callbackRoutes(service: QueenService, options: CallbackOptions): Router {
  const router = Router();
  for (const callback of CALLBACKS) {
    router.post(callback.path, (req, res) => serveCallback(service, callback, req, res, options));
  }
  return router;
}

/**
 * A listener's request handler that serves the worker callbacks on bare node:http, before any
 * framework: the listener's Host check, then `serveCallback`. Every other request goes to `otherwise`.
 */
export function leanCallbacks(service: QueenService, options: CallbackOptions & LeanListenerOptions): RequestListener {
  return (req, res) => {
    const callback = callbackFor(req);
    if (!callback) options.otherwise(req, res);
    else if (admitted(req, res, options)) serveCallback(service, callback, req, res, options);
  };
}
