import { Router } from "express";
import {
  type Backend,
  HiveEngineBuildRequest,
  type HiveEngineBuildStreamEvent,
  type HiveEngineEvent,
  type HiveRpcServer,
  type HiveRpcServersResponse,
  RbeeError,
  RpcServerStopRequest,
  type RpcServerStopResponse,
  parseOrThrow,
} from "../shared/contract/index.js";
import { openSse, wantsEventStream } from "../node-common/sse-response.js";
import type { NodeDevices } from "./devices.js";
import { primaryBackend } from "./engines.js";
import type { LlamaBuilder } from "./llama-build.js";
import type { RpcServers } from "./rpc-servers.js";

/** A comment line this often keeps a quiet build stream (and its SSH tunnel) open: a compile step can take minutes. */
const KEEPALIVE_MS = 15_000;

function asRbeeError(error: unknown): RbeeError {
  return error instanceof RbeeError ? error : new RbeeError("INTERNAL", error instanceof Error ? error.message : String(error));
}

/**
 * The hive's engine and rpc-server routes: `POST /v1/engines/build` (llama-server and
 * ggml-rpc-server built for a backend, with its progress as an event stream; the build goes on when
 * the caller leaves), and `POST /v1/rpc/start`, `POST /v1/rpc/stop`, `GET /v1/rpc/list`.
 */
export function engineRoutes(options: {
  readonly builder: LlamaBuilder;
  readonly rpcServers: RpcServers;
  readonly devices: () => Promise<NodeDevices>;
}): Router {
  const { builder, rpcServers } = options;
  const router = Router();

  router.post("/v1/engines/build", async (req, res) => {
    const body = parseOrThrow(HiveEngineBuildRequest, req.body ?? {}, "build request");
    const backend: Backend = body.backend ?? primaryBackend((await options.devices()).backends);
    if (!wantsEventStream(req)) {
      res.json({ type: "engine", status: await builder.build(backend, () => undefined) } satisfies HiveEngineEvent);
      return;
    }
    const sse = openSse<HiveEngineBuildStreamEvent>(res, { keepAliveMs: KEEPALIVE_MS });
    const gone = new AbortController();
    sse.onClose(() => gone.abort());
    try {
      const status = await builder.build(backend, (event) => sse.send(event), gone.signal);
      sse.send({ type: "engine", status });
    } catch (error) {
      const { code, message } = asRbeeError(error);
      sse.send({ type: "error", code, message });
    }
    sse.done();
  });

  router.post("/v1/rpc/start", async (req, res) => {
    res.status(201).json((await rpcServers.start(req.body)) satisfies HiveRpcServer);
  });

  router.post("/v1/rpc/stop", async (req, res) => {
    const { id } = parseOrThrow(RpcServerStopRequest, req.body);
    await rpcServers.stop(id);
    res.json({ stopped: true } satisfies RpcServerStopResponse);
  });

  router.get("/v1/rpc/list", (_req, res) => {
    res.json({ servers: rpcServers.list() } satisfies HiveRpcServersResponse);
  });

  return router;
}
