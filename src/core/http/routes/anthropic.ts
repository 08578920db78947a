import express, { Router, type RequestHandler, type Response } from "express";
import { beginEventStream } from "../../../node-common/sse-response.js";
import { RbeeError, type StreamEvent } from "../../../shared/contract/index.js";
import { toAnthropicError, type AnthropicErrorAnswer } from "../../anthropic/anthropic-error.js";
import { parseMessagesRequest, toInferenceRequest } from "../../anthropic/messages-request.js";
import { MessageCollector, MessagesStreamTranslator } from "../../anthropic/messages-response.js";
import { assertKnownModel } from "../../openai/models.js";
import type { CoreStream } from "../../service/core-stream.js";
import type { QueenService } from "../../service/queen-service.js";
import { errorHandler } from "../errors.js";
import { cancelWhenGone, writeIfOpen } from "./client-gone.js";

/** Where the Anthropic-compatible route lives: every error under it has Anthropic's shape. */
export const ANTHROPIC_PATHS = ["/v1/messages"];

function sendError(res: Response, error: AnthropicErrorAnswer): void {
  res.status(error.status).json(error.body);
}

/** Answers an error in Anthropic's shape; mount it under ANTHROPIC_PATHS after whatever may fail there. */
export function anthropicErrorHandler(log: (message: string) => void) {
  return errorHandler(log, (res, error) => sendError(res, toAnthropicError(error)));
}

/**
 * The Anthropic-compatible API (docs/api.md): `POST /v1/messages`, streamed or not, run through the
 * same InferenceService as `/v1/inference`. The queen token is the API key, as `x-api-key` or
 * `Authorization: Bearer`; `anthropic-version` is accepted whatever it says. Mounted before the
 * app's body parser so that every error here, even a missing key, has Anthropic's shape.
 */
export function anthropicRoutes(service: QueenService, auth: RequestHandler, log: (message: string) => void): Router {
  const router = Router();
  router.use(ANTHROPIC_PATHS, auth, express.json({ limit: "1mb" }));

  router.post("/v1/messages", async (req, res) => {
    const request = parseMessagesRequest(req.body);
    const inference = toInferenceRequest(request);
    assertKnownModel(inference.model, service.liveWorkers());
    const stream = await service.infer(inference, "api");
    const gone = cancelWhenGone(res, stream);
    if (request.stream === true) {
      await streamMessage(stream, res, new MessagesStreamTranslator(request.model), gone);
      return;
    }
    const collector = new MessageCollector(request.model);
    await stream.run((event) => collector.push(event));
    if (gone()) return;
    const outcome = collector.result();
    if (outcome.kind === "message") res.json(outcome.message);
    else sendError(res, outcome.error);
  });

  router.all(["/v1/messages", "/v1/messages/*rest"], (req) => {
    throw new RbeeError("ROUTE_NOT_FOUND", `Unknown request URL: ${req.method} ${req.originalUrl.split("?")[0]}`);
  });

  router.use(ANTHROPIC_PATHS, anthropicErrorHandler(log));
  return router;
}

/**
 * Streams a message as Anthropic does: named events (`event:` and `data:` lines). The status waits
 * for the first event, so that a request refused at once gets its HTTP error status; once
 * streaming, cold-start progress goes out as SSE comments and a later error as an `error` event,
 * which Anthropic's clients raise.
 */
async function streamMessage(stream: CoreStream<StreamEvent>, res: Response, translator: MessagesStreamTranslator, gone: () => boolean): Promise<void> {
  let open = false;
  let failed = false;
  const openStream = (): void => {
    if (open) return;
    open = true;
    beginEventStream(res);
  };
  await stream.run((input) => {
    for (const output of translator.push(input)) {
      switch (output.kind) {
        case "comment":
          openStream();
          writeIfOpen(res, `: ${output.text.replace(/[\r\n]+/g, " ")}\n\n`);
          break;
        case "event":
          openStream();
          writeIfOpen(res, `event: ${output.event.event}\ndata: ${JSON.stringify(output.event.data)}\n\n`);
          break;
        case "error":
          if (failed) break;
          failed = true;
          if (open) writeIfOpen(res, `event: error\ndata: ${JSON.stringify(output.error.body)}\n\n`);
          else sendError(res, output.error);
          break;
      }
    }
  });
  if (gone() || res.writableEnded) return;
  if (!open) {
    sendError(res, toAnthropicError(new RbeeError("WORKER_FAILED", "The answer ended before the worker started it")));
    return;
  }
  res.end();
}
