import express, { Router, type RequestHandler, type Response } from "express";
import { RBEE_VERSION, RbeeError, type StreamEvent } from "../../../shared/contract/index.js";
import { MODEL_ALIASES } from "../../../shared/contract/model-catalog.js";
import { toOllamaError, type OllamaErrorAnswer } from "../../ollama/ollama-error.js";
import {
  chatToInference,
  generateToInference,
  ollamaModelName,
  parseChatRequest,
  parseGenerateRequest,
  type ParsedInference,
} from "../../ollama/ollama-request.js";
import { OllamaTranslator, type OllamaRoute } from "../../ollama/ollama-response.js";
import { listTags } from "../../ollama/ollama-tags.js";
import { assertKnownModel } from "../../openai/models.js";
import type { CoreStream } from "../../service/core-stream.js";
import type { QueenService } from "../../service/queen-service.js";
import { errorHandler } from "../errors.js";
import { cancelWhenGone, writeIfOpen } from "./client-gone.js";

/** Where the Ollama-compatible routes live: every error under it has Ollama's shape. */
export const OLLAMA_PATHS = ["/api"];

/**
 * The Ollama API release whose routes and fields these follow (clients compare it with the
 * release they need); `rbee` names the queen's own version.
 */
export const OLLAMA_API_VERSION = "0.12.0";

function sendError(res: Response, error: OllamaErrorAnswer): void {
  res.status(error.status).json(error.body);
}

/** Answers an error in Ollama's shape; mount it under OLLAMA_PATHS after whatever may fail there. */
export function ollamaErrorHandler(log: (message: string) => void) {
  return errorHandler(log, (res, error) => sendError(res, toOllamaError(error)));
}

/**
 * The Ollama-compatible API (docs/api.md): `GET /api/version`, `GET /api/tags`, `POST /api/chat`
 * and `POST /api/generate`, run through the same InferenceService as `/v1/inference`. Answers
 * stream as NDJSON unless `stream: false`, as Ollama's do. The queen token is required (Ollama's
 * clients send it with `headers: {Authorization: "Bearer …"}`).
 */
export function ollamaRoutes(service: QueenService, auth: RequestHandler, log: (message: string) => void): Router {
  const router = Router();
  router.use(OLLAMA_PATHS, auth, express.json({ limit: "1mb" }));

  router.get("/api/version", (_req, res) => {
    res.json({ version: OLLAMA_API_VERSION, rbee: RBEE_VERSION });
  });

  router.get("/api/tags", async (_req, res) => {
    res.json(listTags(MODEL_ALIASES, service.liveWorkers(), (await service.storedModels()).map((model) => model.model_ref)));
  });

  const answer = async (route: OllamaRoute, model: string, inference: ParsedInference, streamed: boolean, res: Response): Promise<void> => {
    assertKnownModel(inference.model, service.liveWorkers());
    const translator = new OllamaTranslator(route, model);
    const stream = await service.infer(inference, "api");
    const gone = cancelWhenGone(res, stream);
    if (streamed) {
      await streamNdjson(stream, res, translator, gone);
      return;
    }
    await stream.run((event) => translator.push(event));
    if (gone()) return;
    const outcome = translator.collect();
    if (outcome.kind === "chunk") res.json(outcome.chunk);
    else sendError(res, outcome.error);
  };

  router.post("/api/chat", async (req, res) => {
    const request = parseChatRequest(req.body);
    const model = ollamaModelName(request.model, service.liveWorkers());
    await answer("chat", request.model, chatToInference(request, model), request.stream !== false, res);
  });

  router.post("/api/generate", async (req, res) => {
    const request = parseGenerateRequest(req.body);
    const model = ollamaModelName(request.model, service.liveWorkers());
    await answer("generate", request.model, generateToInference(request, model), request.stream !== false, res);
  });

  router.all(["/api", "/api/*rest"], (req) => {
    throw new RbeeError("ROUTE_NOT_FOUND", `Unknown request URL: ${req.method} ${req.originalUrl.split("?")[0]} (rbee serves /api/version, /api/tags, /api/chat and /api/generate)`);
  });

  router.use(OLLAMA_PATHS, ollamaErrorHandler(log));
  return router;
}

/**
 * Streams an answer as Ollama does: one JSON object per line. The status waits for the first
 * object, so that a request refused before it starts gets its HTTP error status; a later error is
 * an `{"error": …}` line, which Ollama's clients raise.
 */
async function streamNdjson(stream: CoreStream<StreamEvent>, res: Response, translator: OllamaTranslator, gone: () => boolean): Promise<void> {
  let open = false;
  const openStream = (): void => {
    if (open) return;
    open = true;
    res.status(200);
    res.setHeader("Content-Type", "application/x-ndjson");
    res.setHeader("Cache-Control", "no-cache, no-transform");
    res.setHeader("X-Accel-Buffering", "no");
    res.flushHeaders();
    res.socket?.setNoDelay(true);
  };
  await stream.run((event) => {
    for (const output of translator.push(event)) {
      if (output.kind === "chunk") {
        openStream();
        writeIfOpen(res, `${JSON.stringify(output.chunk)}\n`);
      } else if (open) {
        writeIfOpen(res, `${JSON.stringify(output.error.body)}\n`);
      } else {
        sendError(res, output.error);
      }
    }
  });
  if (gone() || res.writableEnded) return;
  if (!open) {
    sendError(res, toOllamaError(new RbeeError("WORKER_FAILED", "The answer ended before the worker started it")));
    return;
  }
  res.end();
}
