import type { NextFunction, Request, Response } from "express";
import { RbeeError } from "../../shared/contract/index.js";

/** Turns anything thrown in a route into the API's JSON error shape. */
export function errorHandler(log: (message: string) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const rbeeError = toRbeeError(error);
    if (rbeeError.code === "INTERNAL") log(`${req.method} ${req.path}: ${(error as Error)?.stack ?? String(error)}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(rbeeError.status).json(rbeeError.toBody());
  };
}

/** Maps body-parser failures and unknown errors to coded errors. */
export function toRbeeError(error: unknown): RbeeError {
  if (error instanceof RbeeError) return error;
  const type = (error as { type?: string })?.type;
  if (type === "entity.too.large") return new RbeeError("PAYLOAD_TOO_LARGE", "Request body is larger than 1 MiB");
  if (type === "entity.parse.failed") return new RbeeError("INVALID_REQUEST", "Request body is not valid JSON");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new RbeeError("INVALID_REQUEST", "Request body must be UTF-8 JSON");
  }
  // Express's own 4xx, e.g. a path parameter that is not valid percent-encoding.
  const status = (error as { status?: unknown })?.status;
  if (error instanceof URIError || (typeof status === "number" && status >= 400 && status < 500)) {
    return new RbeeError("INVALID_REQUEST", "Malformed request (the URL or body cannot be decoded)");
  }
  return new RbeeError("INTERNAL", "Internal error: see the queen log");
}
