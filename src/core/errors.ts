import { RbeeError, type ErrorEvent } from "../shared/contract/index.js";

/** Maps anything thrown in the core or a transport to a coded error (body-parser failures included). */
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

/**
 * The coded error for `error`, logging the stack of an unexpected one (INTERNAL): its details stay
 * in the queen log, the client reads one sentence.
 */
export function reportedError(error: unknown, where: string, log: (message: string) => void): RbeeError {
  const rbeeError = toRbeeError(error);
  if (rbeeError.code === "INTERNAL") log(`${where}: ${(error as Error)?.stack ?? String(error)}`);
  return rbeeError;
}

/** The `error` event a stream ends with when its work fails. */
export function errorEvent(error: RbeeError): ErrorEvent {
  return { type: "error", code: error.code, message: error.message };
}
