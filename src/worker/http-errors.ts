import type { ErrorRequestHandler, Response } from "express";
import { RbeeError } from "../shared/contract/index.js";

type BodyParserError = Error & { type?: string; status?: number };

/** Maps anything thrown in a route to an RbeeError: body-parser failures keep their meaning. */
export function toRbeeError(error: unknown): RbeeError {
  if (error instanceof RbeeError) return error;
  const parserError = error as BodyParserError;
  if (parserError?.type === "entity.too.large") return new RbeeError("PAYLOAD_TOO_LARGE", "Request body is larger than 1 MiB");
  if (parserError?.type === "entity.parse.failed") {
    return new RbeeError("INVALID_REQUEST", "Request body is not valid JSON", [{ field: "(body)", message: "not valid JSON" }]);
  }
  if (typeof parserError?.status === "number" && parserError.status >= 400 && parserError.status < 500) {
    return new RbeeError("INVALID_REQUEST", parserError.message || "Bad request");
  }
  return new RbeeError("INTERNAL", "Internal error");
}

/** Writes an error answer with the contract's ErrorBody. */
export function sendError(res: Response, error: RbeeError): void {
  if (error.code === "UNAUTHORIZED") res.setHeader("WWW-Authenticate", 'Bearer realm="llm-worker-rbee"');
  res.status(error.status).json(error.toBody());
}

/** Last Express middleware: every error leaves as JSON `{error: {code, message, details?}}`. */
export function errorHandler(log: (message: string) => void): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const rbeeError = toRbeeError(error);
    if (rbeeError.code === "INTERNAL") log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendError(res, rbeeError);
  };
}
