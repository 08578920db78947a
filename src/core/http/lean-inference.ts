import type { IncomingMessage, RequestListener } from "node:http";
import { API, parseInput } from "../../shared/contract/index.js";
import type { QueenService } from "../service/queen-service.js";
import { authenticate } from "./auth.js";
import { admitted, charsetOf, readJsonBody, sendError, type LeanListenerOptions } from "./lean-json.js";
import { sendStream } from "./stream-response.js";

const PATH = API.infer.path;

/**
 * Whether the lean route takes the request: `POST /v1/inference` as Express routes it (any case,
 * one trailing slash), with no query string and a plain UTF-8 body. Anything unusual (a query, a
 * compressed body, another charset) goes to the Express route, which reads all of them.
 */
function isPlainInference(req: IncomingMessage): boolean {
  if (req.method !== "POST") return false;
  const url = (req.url ?? "").toLowerCase();
  if (url !== PATH && url !== `${PATH}/`) return false;
  const encoding = req.headers["content-encoding"];
  const charset = charsetOf(req.headers["content-type"] ?? "");
  return (encoding === undefined || encoding.toLowerCase() === "identity") && (charset === undefined || charset === "utf-8");
}

/**
 * A listener that serves `POST /v1/inference` on bare node:http, ahead of Express: the warm path
 * of every request to the fleet, where the queen should add as little as it can between a client
 * and its worker (Express's layers, body parser and router walk cost more than the rest of the
 * queen's own handling). The same token, body, validation, errors and stream as the API table's
 * Express route (api-routes.ts), which serves everything else through `otherwise`.
 */
export function leanInference(service: QueenService, options: LeanListenerOptions): RequestListener {
  return (req, res) => {
    if (!isPlainInference(req)) {
      options.otherwise(req, res);
      return;
    }
    if (!admitted(req, res, options)) return;
    const fail = (error: unknown): void => sendError(res, error, `${req.method} ${PATH}`, options.log);
    try {
      authenticate(service, req.headers, false);
    } catch (error) {
      fail(error);
      return;
    }
    readJsonBody(req)
      .then((body) => service.openStream("infer", parseInput("infer", { params: {}, query: {}, body })))
      .then((stream) => sendStream(res, stream))
      .catch(fail);
  };
}
