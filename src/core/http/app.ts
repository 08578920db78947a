import { existsSync } from "node:fs";
import { join } from "node:path";
import express, { type Express } from "express";
import { RBEE_VERSION, RbeeError } from "../../shared/contract/index.js";
import type { Queen } from "../queen.js";
import { requireAuth } from "./auth.js";
import { errorHandler } from "./errors.js";
import { beehiveRoutes } from "./routes/beehives.js";
import { eventRoutes } from "./routes/events.js";
import { inferenceRoutes } from "./routes/inference.js";
import { openAiRoutes } from "./routes/openai.js";
import { sshConfigRoutes } from "./routes/ssh-config.js";
import { workerCallbackRoutes, workerRoutes } from "./routes/workers.js";

export interface HttpAppOptions {
  /** The built renderer (`out/renderer`), served at `/` and `/assets/`; none when absent. */
  readonly uiDir?: string | undefined;
  readonly log: (message: string) => void;
}

// The renderer's policy, also sent as a header so that a browser enforces it even without the meta tag.
const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The queen's HTTP API (SPEC §3) as an Express app. */
export function createHttpApp(queen: Queen, options: HttpAppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((_req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    next();
  });
  app.use(openAiRoutes(queen, options.log));
  app.use(express.json({ limit: "1mb" }));

  app.get("/health", (_req, res) => {
    res.json({ status: "ok", version: RBEE_VERSION });
  });
  serveUi(app, options.uiDir);

  const user = requireAuth(queen, { allowWorkers: false });
  const userOrWorker = requireAuth(queen, { allowWorkers: true });
  app.use("/v2/registry/beehives", user, beehiveRoutes(queen));
  app.use("/v2/registry/ssh-config", user, sshConfigRoutes());
  app.use("/v1/workers", (req, res, next) => {
    const callback = req.method === "POST" && ["/register", "/update", "/heartbeat"].includes(req.path);
    (callback ? userOrWorker : user)(req, res, next);
  });
  app.use("/v1/workers", workerCallbackRoutes(queen), workerRoutes(queen));
  app.use("/v1/events", user, eventRoutes(queen));
  app.use("/v1/inference", user, inferenceRoutes(queen));

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
