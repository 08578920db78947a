import { existsSync } from "node:fs";
import type { RequestListener, ServerResponse } from "node:http";
import { join } from "node:path";
import express, { type Express } from "express";
import { RbeeError } from "../../shared/contract/index.js";
import type { QueenService } from "../service/queen-service.js";
import { apiRoutes } from "./api-routes.js";
import { requireAuth } from "./auth.js";
import { callbackRoutes, leanCallbacks } from "./callback-routes.js";
import { errorHandler } from "./errors.js";
import { hostCheck, ownAddress } from "./host-check.js";
import { HTTP_ONLY_ROUTES } from "./http-only-routes.js";
import { leanInference } from "./lean-inference.js";
import { openApiDocument } from "./openapi.js";
import { ANTHROPIC_PATHS, anthropicErrorHandler, anthropicRoutes } from "./routes/anthropic.js";
import { OLLAMA_PATHS, ollamaErrorHandler, ollamaRoutes } from "./routes/ollama.js";
import { metricsRoutes } from "./routes/metrics.js";
import { OPENAI_PATHS, openAiErrorHandler, openAiRoutes } from "./routes/openai.js";

export interface HttpAppOptions {
  /** The built renderer (`out/renderer`), served at `/` and `/assets/`; none when absent. */
  readonly uiDir?: string | undefined;
  /** The host the API is bound to: a request may name it in `Host` (besides localhost and the address it came in on). */
  readonly bindHost?: string | undefined;
  readonly log: (message: string) => void;
}

// The renderer's policy, also sent as a header so that a browser enforces it even without the meta tag.
const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The headers every answer of the API carries. */
function securityHeaders(res: ServerResponse): void {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
}

/**
 * The API port's request handler: the worker callbacks and `POST /v1/inference` on bare node:http,
 * with the API's headers, Host check and queen token, ahead of Express (a fleet's heartbeats then
 * cost about what node:http does, and a warm request reaches its worker sooner); every other
 * request to the Express app.
 */
export function createApiListener(service: QueenService, options: HttpAppOptions): RequestListener {
  const lean = { log: options.log, policy: ownAddress(options.bindHost), headers: securityHeaders };
  const inference = leanInference(service, { ...lean, otherwise: createHttpApp(service, options) });
  return leanCallbacks(service, { ...lean, allowWorkers: false, otherwise: inference });
}

/**
 * The queen's HTTP API (docs/api.md) as an Express app: the API table's routes plus the HTTP-only
 * ones. The worker callbacks are here for the queen token only (the API listener answers them before
 * Express; routed here too, so that this app alone is the whole API); a node's workers reach them
 * on the callback listener (callback-app.ts), through their node's tunnel.
 */
export function createHttpApp(service: QueenService, options: HttpAppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((_req, res, next) => {
    securityHeaders(res);
    next();
  });
  // Before auth and routing: a page that rebinds its own name to this machine gets nothing, not even /health.
  app.use(hostCheck(ownAddress(options.bindHost)));
  // They read their own bodies, so ahead of the JSON parser.
  app.use(callbackRoutes(service, { allowWorkers: false, log: options.log }));
  // An error handler sees only the errors of the layers before it: here, the Host check's on the OpenAI paths.
  app.use(OPENAI_PATHS, openAiErrorHandler(options.log));
  app.use(ANTHROPIC_PATHS, anthropicErrorHandler(options.log));
  app.use(OLLAMA_PATHS, ollamaErrorHandler(options.log));
  const user = requireAuth(service, { allowWorkers: false });
  app.use(openAiRoutes(service, user, options.log));
  app.use(anthropicRoutes(service, user, options.log));
  app.use(ollamaRoutes(service, user, options.log));
  app.use(express.json({ limit: "1mb" }));
  serveUi(app, options.uiDir);

  app.use(apiRoutes(service, user));
  app.use(metricsRoutes(service, user));
  const openapi = openApiDocument();
  app.get(HTTP_ONLY_ROUTES.openapi.path, user, (_req, res) => {
    res.json(openapi);
  });

  app.use(user, (req, _res, next) => {
    next(new RbeeError("ROUTE_NOT_FOUND", `No route ${req.method} ${req.path}`));
  });
  app.use(errorHandler(options.log));
  return app;
}

function serveUi(app: Express, uiDir: string | undefined): void {
  const index = uiDir ? join(uiDir, "index.html") : undefined;
  app.get("/", (_req, res) => {
    res.setHeader("Content-Security-Policy", UI_CSP);
    res.setHeader("Cache-Control", "no-cache");
    if (index && existsSync(index)) {
      res.sendFile(index);
    } else {
      res.type("text/plain").send("The rbee UI is not built. Run `npm run build` and restart queen-rbee.\n");
    }
  });
  if (uiDir) {
    app.use("/assets", express.static(join(uiDir, "assets"), { index: false, immutable: true, maxAge: "1y" }));
  }
}
