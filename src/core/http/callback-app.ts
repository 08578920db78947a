import express, { type Express } from "express";
import { RbeeError } from "../../shared/contract/index.js";
import type { QueenService } from "../service/queen-service.js";
import { requireAuth } from "./auth.js";
import { callbackRoutes } from "./callback-routes.js";
import { errorHandler } from "./errors.js";
import { anyLoopback, hostCheck } from "./host-check.js";

/**
 * The callback listener's app: what every node's callback tunnel leads to, so what anyone on a node
 * can reach. It serves the three worker callbacks and nothing else, whatever the token: the rest of
 * the API is not behind the tunnel at all.
 */
export function createCallbackApp(service: QueenService, options: { readonly log: (message: string) => void }): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(hostCheck(anyLoopback));
  // The token first: a caller without one does not get a megabyte of JSON parsed.
  app.use(callbackRoutes(service, [requireAuth(service, { allowWorkers: true }), express.json({ limit: "1mb" })]));
  app.use((req, _res, next) => {
    next(new RbeeError("ROUTE_NOT_FOUND", `No route ${req.method} ${req.path} on the callback listener`));
  });
  app.use(errorHandler(options.log));
  return app;
}
