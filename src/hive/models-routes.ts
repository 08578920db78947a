import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { type Request, type Response, Router } from "express";
import {
  HiveModelRequest,
  HiveReceiveChunk,
  HiveReceiveRequest,
  type HiveCancelResponse,
  type HiveInventory,
  type HiveReceiveStart,
  type HiveRemoveResponse,
  type ModelDownloadResponse,
  type ModelFootprint,
  RbeeError,
  parseOrThrow,
} from "../shared/contract/index.js";
import { footprintOf, readGgufShape } from "./models/model-footprint.js";
import { inventory, modelFile } from "./models/model-inventory.js";
import { assertRealInside } from "./models/model-paths.js";
import { receive, startReceive } from "./models/model-receive.js";
import { removeModel } from "./models/model-remove.js";
import type { ModelStore } from "./models/model-store.js";
import type { WorkerPool } from "./worker-pool.js";

/** Headers of `GET /v1/models/file`: the whole file's size and sha256, whatever range is sent. */
export const MODEL_BYTES_HEADER = "x-rbee-model-bytes";
export const MODEL_SHA256_HEADER = "x-rbee-model-sha256";

/** The start offset of `Range: bytes=N-` (the only form a copy sends); 0 without one. */
function rangeStart(req: Request, size: number): number {
  const header = req.headers.range;
  if (header === undefined) return 0;
  const match = /^bytes=(\d+)-$/.exec(header.trim());
  const start = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(start) || start > size) throw new RbeeError("INVALID_REQUEST", `Unsupported Range '${header}': send bytes=N- with N ≤ ${size}`);
  return start;
}

/**
 * The hive's model routes beyond download and list: inventory, remove, cancel, and the two ends
 * of a node-to-node copy (read a file from an offset; receive one and append at an offset). Each
 * model_ref goes through ModelStore.locate: nothing outside the models folder is read or written.
 */
export function modelsRoutes(models: ModelStore, pool: WorkerPool, log: (line: string) => void): Router {
  const router = Router();
  const usersOf = (path: string): string[] => pool.usersOf(path);

  router.get("/v1/models/inventory", async (_req, res) => {
    res.json((await inventory(models, usersOf)) satisfies HiveInventory);
  });

  router.post("/v1/models/remove", async (req, res) => {
    const { model_ref } = parseOrThrow(HiveModelRequest, req.body);
    await removeModel(models, usersOf, model_ref);
    log(`removed ${model_ref}`);
    res.json({ removed: true } satisfies HiveRemoveResponse);
  });

  router.post("/v1/models/cancel", (req, res) => {
    const { model_ref } = parseOrThrow(HiveModelRequest, req.body);
    const cancelled = models.cancel(model_ref);
    if (cancelled) log(`download of ${model_ref} cancelled`);
    res.json({ cancelled } satisfies HiveCancelResponse);
  });

  router.get("/v1/models/file", async (req: Request, res: Response) => {
    const { model_ref } = parseOrThrow(HiveModelRequest, { model_ref: req.query.model_ref });
    const model = await modelFile(models, models.locate(model_ref), model_ref);
    const start = rangeStart(req, model.size_bytes);
    if (start > 0) log(`sending ${model_ref} from byte ${start} (a copy resumes)`);
    res.status(start > 0 ? 206 : 200);
    res.setHeader("content-type", "application/octet-stream");
    res.setHeader("content-length", String(model.size_bytes - start));
    res.setHeader(MODEL_BYTES_HEADER, String(model.size_bytes));
    if (model.sha256) res.setHeader(MODEL_SHA256_HEADER, model.sha256);
    if (start > 0) res.setHeader("content-range", `bytes ${start}-${model.size_bytes - 1}/${model.size_bytes}`);
    const file = createReadStream(model.path, { start, highWaterMark: 1024 * 1024 });
    file.on("error", () => res.destroy());
    res.on("close", () => file.destroy());
    file.pipe(res);
  });

  // What the model takes in memory, from its GGUF header (the placement sizes splits from it).
  router.get("/v1/models/info", async (req, res) => {
    const { model_ref } = parseOrThrow(HiveModelRequest, { model_ref: req.query.model_ref });
    const location = models.locate(model_ref);
    const stats = await stat(location.path).catch(() => undefined);
    if (!stats?.isFile()) {
      throw new RbeeError("MODEL_NOT_FOUND", `Model ${model_ref} is not on ${models.nodeLabel()}: download it there first (or copy it from a node that has it)`);
    }
    await assertRealInside(models.dir, location.path, model_ref);
    res.json(footprintOf(model_ref, await readGgufShape(location.path, model_ref)) satisfies ModelFootprint);
  });

  router.post("/v1/models/receive/start", async (req, res) => {
    const request = parseOrThrow(HiveReceiveRequest, req.body);
    res.json((await startReceive(models, request)) satisfies HiveReceiveStart);
  });

  router.put("/v1/models/receive", async (req, res) => {
    const request = parseOrThrow(HiveReceiveChunk, req.query);
    const model = await receive(models, request, req).catch((error: unknown) => {
      log(`receive of ${request.model_ref} stopped: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    });
    log(`received ${model.model_ref} (${model.size_bytes} bytes, sha256 ${model.sha256})`);
    res.json({ model } satisfies ModelDownloadResponse);
  });

  return router;
}
