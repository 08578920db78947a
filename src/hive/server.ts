import express, { type NextFunction, type Request, type Response } from "express";
import {
  HeartbeatRequest,
  HiveCallbackRequest,
  type HiveCallbackResponse,
  type HiveDevices,
  type HiveHealth,
  type HiveModelStreamEvent,
  type HiveSpawnResponse,
  type HiveSpawnStreamEvent,
  type HiveStopResponse,
  type HiveWorker,
  type HiveWorkersResponse,
  type LocalModel,
  ModelDownloadRequest,
  type ModelDownloadResponse,
  type ModelsListResponse,
  RBEE_VERSION,
  RbeeError,
  RegisterWorkerRequest,
  HiveStopRequest,
  UpdateWorkerRequest,
  type WorkerCallbackResponse,
  parseOrThrow,
} from "../shared/contract/index.js";
import { checkDownloadUrl } from "../shared/contract/model-ref.js";
import { bearerToken, secretsEqual } from "../node-common/secrets.js";
import { openSse, wantsEventStream, type SseChannel } from "../node-common/sse-response.js";
import type { NodeDevices } from "./devices.js";
import { engineRoutes } from "./engine-routes.js";
import type { LlamaBuilder } from "./llama-build.js";
import { logRoutes, type HiveLogs } from "./logs/log-routes.js";
import type { ModelStore } from "./models/model-store.js";
import { modelsRoutes } from "./models-routes.js";
import type { QueenRelay } from "./queen-relay.js";
import type { RpcServers } from "./rpc-servers.js";
import type { WorkerPool } from "./worker-pool.js";

/** What the hive's HTTP API serves. */
export interface HiveAppOptions {
  readonly token: string;
  readonly pool: WorkerPool;
  readonly models: ModelStore;
  readonly relay: QueenRelay;
  /** `GET /v1/devices`: the devices with the engines and the free RAM within RBEE_MEMORY_LIMIT_BYTES. */
  readonly devices: () => Promise<HiveDevices>;
  /** The devices a build or an rpc-server checks (the node's backends). */
  readonly nodeDevices: () => Promise<NodeDevices>;
  readonly builder: LlamaBuilder;
  readonly rpcServers: RpcServers;
  readonly logs: HiveLogs;
  readonly log: (line: string) => void;
  /** Called when the queen tells its node name through `POST /v1/callback`. */
  readonly onNodeName: (name: string) => void;
}

const WORKER_CALLBACKS = new Set(["/v1/workers/register", "/v1/workers/heartbeat", "/v1/workers/update"]);

/** A comment line this often keeps idle SSH tunnels open during long downloads and loads. */
const KEEPALIVE_MS = 15_000;
const ACK = { ok: true } as const satisfies WorkerCallbackResponse;

type Worker = NonNullable<ReturnType<WorkerPool["workerByToken"]>>;

function asRbeeError(error: unknown): RbeeError {
  if (error instanceof RbeeError) return error;
  return new RbeeError("INTERNAL", error instanceof Error ? error.message : String(error));
}

function sendError(sse: SseChannel<HiveSpawnStreamEvent | HiveModelStreamEvent>, error: unknown): void {
  const { code, message } = asRbeeError(error);
  sse.send({ type: "error", code, message });
}

/** The worker a callback came from, checked against the id in its body. */
function callingWorker(res: Response, bodyWorkerId: string): Worker {
  const worker = res.locals.worker as Worker;
  if (bodyWorkerId !== worker.id) {
    throw new RbeeError("UNAUTHORIZED", `This token belongs to worker '${worker.id}', not '${bodyWorkerId}'`);
  }
  return worker;
}

/**
 * The hive's HTTP API: health without auth; the worker callbacks with each worker's own
 * token (which may act only on its own id); every other route with the hive token.
 */
export function createHiveApp(options: HiveAppOptions): express.Express {
  const { pool, models, relay } = options;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/v1/health", (_req, res) => {
    res.json({ status: "alive", version: RBEE_VERSION } satisfies HiveHealth);
  });

  // Authentication comes before body parsing: nobody unauthenticated gets a body read.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req.headers);
    if (req.method === "POST" && WORKER_CALLBACKS.has(req.path)) {
      const worker = token ? pool.workerByToken(token) : undefined;
      if (!worker) throw new RbeeError("UNAUTHORIZED", "Worker callbacks need the worker's own token (Authorization: Bearer …)");
      res.locals.worker = worker;
      next();
      return;
    }
    if (!token || !secretsEqual(token, options.token)) {
      throw new RbeeError("UNAUTHORIZED", "Missing or wrong hive token: send Authorization: Bearer <RBEE_HIVE_TOKEN or RBEE_HOME/hive-token>");
    }
    next();
  });
  app.use(express.json({ limit: "1mb" }));

  app.get("/v1/devices", async (_req, res) => {
    res.json((await options.devices()) satisfies HiveDevices);
  });

  app.use(logRoutes(options.logs));
  app.use(engineRoutes({ builder: options.builder, rpcServers: options.rpcServers, devices: options.nodeDevices }));

  app.get("/v1/workers/list", (_req, res) => {
    res.json({ workers: pool.list() } satisfies HiveWorkersResponse);
  });

  app.post("/v1/workers/spawn", async (req, res) => {
    const prepared = await pool.prepare(req.body);
    if (!wantsEventStream(req)) {
      const launched = await pool.launch(prepared, () => undefined);
      launched.ready.catch(() => undefined);
      res.status(201).json(launched.response satisfies HiveSpawnResponse);
      return;
    }
    const sse = openSse<HiveSpawnStreamEvent>(res, { keepAliveMs: KEEPALIVE_MS });
    // The queen closing the stream before the worker is ready cancels the spawn (see launch).
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    try {
      const launched = await pool.launch(prepared, (event) => sse.send(event), gone.signal);
      sse.send({ type: "progress", stage: "loading", message: `loading ${prepared.request.model_ref}` });
      const stopIfGone = (): void => void pool.stop(prepared.id).catch(() => undefined);
      gone.signal.addEventListener("abort", stopIfGone, { once: true });
      const worker: HiveWorker = await launched.ready.finally(() => gone.signal.removeEventListener("abort", stopIfGone));
      sse.send({ type: "ready", worker });
    } catch (error) {
      sendError(sse, error);
    }
    sse.done();
  });

  app.post("/v1/workers/stop", async (req, res) => {
    const { worker_id } = parseOrThrow(HiveStopRequest, req.body);
    await pool.stop(worker_id);
    res.json({ stopped: true, worker_id } satisfies HiveStopResponse);
  });

  app.post("/v1/models/download", async (req, res) => {
    const { model_ref } = parseOrThrow(ModelDownloadRequest, req.body);
    models.parse(model_ref);
    const toLocal = (model: Awaited<ReturnType<ModelStore["provision"]>>): LocalModel => ({
      model_ref: model.model_ref,
      path: model.path,
      size_bytes: model.size_bytes,
      sha256: model.sha256,
    });
    if (!wantsEventStream(req)) {
      res.json({ model: toLocal(await models.provision(model_ref)) } satisfies ModelDownloadResponse);
      return;
    }
    const sse = openSse<HiveModelStreamEvent>(res, { keepAliveMs: KEEPALIVE_MS });
    try {
      const model = await models.provision(model_ref, (progress) =>
        sse.send({ type: "progress", stage: "download", message: `downloading ${model_ref}`, ...progress }),
      );
      sse.send({ type: "model", model: toLocal(model) });
    } catch (error) {
      sendError(sse, error);
    }
    sse.done();
  });

  app.get("/v1/models/list", (_req, res) => {
    res.json({ models: models.list() } satisfies ModelsListResponse);
  });

  app.use(modelsRoutes(models, pool, options.log));

  app.post("/v1/callback", (req, res) => {
    const body = parseOrThrow(HiveCallbackRequest, req.body);
    checkDownloadUrl(body.callback_url, "callback_url");
    relay.configure({ url: body.callback_url, token: body.token, ...(body.node_name ? { nodeName: body.node_name } : {}) });
    if (body.node_name) options.onNodeName(body.node_name);
    options.log(`queen callback is now ${body.callback_url}`);
    pool.relayAll();
    res.json({ ok: true, workers: pool.list().filter((worker) => worker.state !== "loading").length } satisfies HiveCallbackResponse);
  });

  app.post("/v1/workers/register", (req, res) => {
    const body = parseOrThrow(RegisterWorkerRequest, req.body, "registration");
    const first = pool.register(callingWorker(res, body.worker_id), body);
    res.status(first ? 201 : 200).json(ACK);
  });

  app.post("/v1/workers/heartbeat", (req, res) => {
    const body = parseOrThrow(HeartbeatRequest, req.body, "heartbeat");
    pool.heartbeat(callingWorker(res, body.worker_id), body);
    res.json(ACK);
  });

  app.post("/v1/workers/update", (req, res) => {
    const body = parseOrThrow(UpdateWorkerRequest, req.body, "update");
    pool.update(callingWorker(res, body.worker_id), body);
    res.json(ACK);
  });

  app.use((req: Request, res: Response) => {
    res.status(404).json(new RbeeError("INVALID_REQUEST", `No route ${req.method} ${req.path} on rbee-hive`).toBody());
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    const type = (error as { type?: string }).type;
    if (type === "entity.too.large") {
      res.status(413).json(new RbeeError("PAYLOAD_TOO_LARGE", "Request bodies are limited to 1 MiB").toBody());
      return;
    }
    if (type === "entity.parse.failed") {
      res.status(400).json(new RbeeError("INVALID_REQUEST", "The request body is not valid JSON").toBody());
      return;
    }
    const rbeeError = asRbeeError(error);
    if (rbeeError.code === "INTERNAL") options.log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    res.status(rbeeError.status).json(rbeeError.toBody());
  });

  return app;
}
