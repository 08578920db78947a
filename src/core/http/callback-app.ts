import type { RequestListener } from "node:http";
import { RbeeError } from "../../shared/contract/index.js";
import type { QueenService } from "../service/queen-service.js";
import { leanCallbacks } from "./callback-routes.js";
import { anyLoopback, assertHostAccepted } from "./host-check.js";
import { pathOf, sendError } from "./lean-json.js";

/**
 * The callback listener's request handler: what every node's callback tunnel leads to, so what
 * anyone on a node can reach. It serves the worker callbacks and nothing else, whatever the token:
 * the rest of the API is not behind the tunnel at all. Bare node:http rather than Express: every
 * heartbeat of every worker lands here, and Express's layers cost more than the callback itself.
 */
export function createCallbackApp(service: QueenService, options: { readonly log: (message: string) => void }): RequestListener {
  return leanCallbacks(service, {
    allowWorkers: true,
    log: options.log,
    policy: anyLoopback,
    otherwise(req, res) {
      const where = `${req.method} ${pathOf(req)}`;
      try {
        // The Host first here too: a rebound page learns nothing, not even which paths exist.
        assertHostAccepted(req, anyLoopback);
        throw new RbeeError("ROUTE_NOT_FOUND", `No route ${where} on the callback listener`);
      } catch (error) {
        sendError(res, error, where, options.log);
      }
    },
  });
}
