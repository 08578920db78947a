import express, { Router, type RequestHandler, type Response } from "express";
import { beginEventStream } from "../../../node-common/sse-response.js";
import { RbeeError } from "../../../shared/contract/index.js";
import { MODEL_ALIASES } from "../../../shared/contract/model-catalog.js";
import { parseChatCompletionRequest, toChatJob } from "../../openai/chat-request.js";
import { ChatCompletionCollector, ChatStreamTranslator } from "../../openai/chat-response.js";
import { parseCompletionRequest, toCompletionInference } from "../../openai/completion-request.js";
import { CompletionStreamTranslator, TextCompletionCollector } from "../../openai/completion-response.js";
import { inputsOf, parseEmbeddingsRequest, toEmbeddingList } from "../../openai/embeddings.js";
import type { ToolCallForm } from "../../openai/tool-call-text.js";
import { listModels, assertKnownModel } from "../../openai/models.js";
import { toOpenAiError, type OpenAiErrorAnswer } from "../../openai/openai-error.js";
import { errorHandler } from "../errors.js";
import { cancelWhenGone } from "./client-gone.js";
import type { CoreStream } from "../../service/core-stream.js";
import type { QueenService } from "../../service/queen-service.js";
import type { StreamEvent } from "../../../shared/contract/index.js";

/** Where the OpenAI-compatible routes live: every error under these has OpenAI's shape. */
export const OPENAI_PATHS = ["/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings"];

/** What a streaming route's translator gives for each rbee event. */
type StreamOutput =
  | { readonly kind: "chunk"; readonly chunk: object }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "error"; readonly error: OpenAiErrorAnswer };

function sendError(res: Response, error: OpenAiErrorAnswer): void {
  res.status(error.status).json(error.body);
}

/**
 * The OpenAI-compatible API (docs/api.md): `GET /v1/models`, `GET /v1/models/{model}` and
 * `POST /v1/chat/completions` (streaming or not), run through the same InferenceService as
 * `/v1/inference`. The queen token is the API key. Mounted before the app's own body parser so that
 * every error here, even an unreadable body or a missing token, has OpenAI's error shape.
 */
export function openAiRoutes(service: QueenService, auth: RequestHandler, log: (message: string) => void): Router {
  const router = Router();
  router.use(OPENAI_PATHS, auth, express.json({ limit: "1mb" }));

  router.get("/v1/models", async (_req, res) => {
    res.json(listModels(MODEL_ALIASES, service.liveWorkers(), await service.storedModels()));
  });

  router.get("/v1/models/*model", async (req, res) => {
    const segments = (req.params as { model?: string | string[] }).model;
    const id = Array.isArray(segments) ? segments.join("/") : (segments ?? "");
    const model = listModels(MODEL_ALIASES, service.liveWorkers(), await service.storedModels()).data.find((entry) => entry.id === id);
    if (!model) throw new RbeeError("MODEL_NOT_FOUND", `The model '${id}' is neither in the catalog nor on a live worker`);
    res.json(model);
  });

  router.post("/v1/chat/completions", async (req, res) => {
    const request = parseChatCompletionRequest(req.body);
    const { inference, tools } = toChatJob(request);
    assertKnownModel(inference.model, service.liveWorkers());
    const stream = await service.infer(inference, "api");
    const gone = cancelWhenGone(res, stream);
    const form: ToolCallForm | undefined = tools.kind === "text" ? undefined : tools.kind === "function" ? { kind: "function", name: tools.name } : { kind: "any" };
    if (request.stream === true) {
      const translator = new ChatStreamTranslator(request.model, request.stream_options?.include_usage === true, undefined, form);
      await streamOpenAi(stream, res, translator, gone);
      return;
    }
    const collector = new ChatCompletionCollector(request.model, undefined, form);
    await stream.run((event) => collector.push(event));
    if (gone()) return;
    const outcome = collector.result();
    if (outcome.kind === "completion") res.json(outcome.completion);
    else sendError(res, outcome.error);
  });

  router.post("/v1/completions", async (req, res) => {
    const request = parseCompletionRequest(req.body);
    const inference = toCompletionInference(request);
    assertKnownModel(inference.model, service.liveWorkers());
    const stream = await service.infer(inference, "api");
    const gone = cancelWhenGone(res, stream);
    if (request.stream === true) {
      await streamOpenAi(stream, res, new CompletionStreamTranslator(request.model, request.stream_options?.include_usage === true), gone);
      return;
    }
    const collector = new TextCompletionCollector(request.model);
    await stream.run((event) => collector.push(event));
    if (gone()) return;
    const outcome = collector.result();
    if (outcome.kind === "completion") res.json(outcome.completion);
    else sendError(res, outcome.error);
  });

  router.post("/v1/embeddings", async (req, res) => {
    const request = parseEmbeddingsRequest(req.body);
    assertKnownModel(request.model, service.liveWorkers());
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const result = await service.embed({ model: request.model, input: inputsOf(request) }, abort.signal);
    if (abort.signal.aborted) return;
    res.json(toEmbeddingList(request, result));
  });

  router.all(["/v1/models", "/v1/models/*model", ...OPENAI_PATHS.slice(1)], (req) => {
    throw new RbeeError("ROUTE_NOT_FOUND", `Unknown request URL: ${req.method} ${req.originalUrl.split("?")[0]}`);
  });

  router.use(OPENAI_PATHS, openAiErrorHandler(log));
  return router;
}

/** Answers an error in OpenAI's shape; mount it under OPENAI_PATHS after whatever may fail there. */
export function openAiErrorHandler(log: (message: string) => void) {
  return errorHandler(log, (res, error) => sendError(res, toOpenAiError(error)));
}

/**
 * Streams a chat or text completion as OpenAI does: `data: {chunk}` lines ending with `data: [DONE]`. The
 * answer's status waits for the first event, so that a request refused at once (no capacity, no
 * node) gets its HTTP error status; once streaming, cold-start progress goes out as SSE comments and
 * a later error as a `data: {"error": …}` line, which OpenAI clients raise.
 */
async function streamOpenAi(
  stream: CoreStream<StreamEvent>,
  res: Response,
  translator: { push(event: StreamEvent): readonly StreamOutput[] },
  gone: () => boolean,
): Promise<void> {
  let open = false;
  let failed = false;
  const openStream = (): void => {
    if (open) return;
    open = true;
    beginEventStream(res);
  };
  const write = (text: string): void => {
    if (!res.writableEnded && !res.destroyed) res.write(text);
  };
  await stream.run((event) => {
      for (const output of translator.push(event)) {
        switch (output.kind) {
          case "comment":
            openStream();
            write(`: ${output.text.replace(/[\r\n]+/g, " ")}\n\n`);
            break;
          case "chunk":
            openStream();
            write(`data: ${JSON.stringify(output.chunk)}\n\n`);
            break;
          case "error":
            if (failed) break;
            failed = true;
            if (open) write(`data: ${JSON.stringify(output.error.body)}\n\n`);
            else sendError(res, output.error);
            break;
        }
      }
  });
  if (gone() || res.writableEnded) return;
  if (!open) {
    sendError(res, toOpenAiError(new RbeeError("WORKER_FAILED", "The answer ended before the worker started it")));
    return;
  }
  res.end(failed ? undefined : "data: [DONE]\n\n");
}
