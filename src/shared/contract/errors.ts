import { z } from "zod";

/** Every error code the HTTP API, IPC and streams can carry (docs/api.md). */
export const ErrorCode = z.enum([
  "UNAUTHORIZED",
  "FORBIDDEN",
  "INVALID_REQUEST",
  "NODE_NOT_FOUND",
  "WORKER_NOT_FOUND",
  "JOB_NOT_FOUND",
  "STREAM_NOT_FOUND",
  "NODE_EXISTS",
  "WORKER_CONFLICT",
  "SSH_FAILED",
  "NO_CAPACITY",
  "BACKEND_UNAVAILABLE",
  "MODEL_NOT_FOUND",
  "DOWNLOAD_FAILED",
  "MODEL_IN_USE",
  "COPY_FAILED",
  "PAYLOAD_TOO_LARGE",
  "WORKER_FAILED",
  "ROUTE_NOT_FOUND",
  "NOT_INSTALLED",
  "INSTALL_FAILED",
  "ENGINE_UNAVAILABLE",
  "SHARD_LOST",
  "INTERNAL",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** HTTP status for each code. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  // A valid token (or none needed) but not for this: another node's worker, a foreign Host header.
  FORBIDDEN: 403,
  INVALID_REQUEST: 400,
  NODE_NOT_FOUND: 404,
  WORKER_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  STREAM_NOT_FOUND: 404,
  NODE_EXISTS: 409,
  WORKER_CONFLICT: 409,
  SSH_FAILED: 502,
  NO_CAPACITY: 503,
  BACKEND_UNAVAILABLE: 503,
  MODEL_NOT_FOUND: 404,
  DOWNLOAD_FAILED: 502,
  // A model file a worker has loaded cannot be removed.
  MODEL_IN_USE: 409,
  // A node-to-node copy broke or arrived with another sha256 (run it again: it resumes).
  COPY_FAILED: 502,
  PAYLOAD_TOO_LARGE: 413,
  WORKER_FAILED: 502,
  ROUTE_NOT_FOUND: 404,
  NOT_INSTALLED: 409,
  INSTALL_FAILED: 502,
  // A node lacks llama-server / rpc-server and cannot build them (the message says what to install).
  ENGINE_UNAVAILABLE: 503,
  // A node holding part of a split model (or its rpc-server) went away: the worker is stopped.
  SHARD_LOST: 502,
  INTERNAL: 500,
};

/** One field that failed validation. */
export const FieldError = z.object({ field: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldError>;

/** The JSON body of every error answer. */
export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    details: z.array(FieldError).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error as a value: a code that maps to an HTTP status and one clear sentence for the user. */
export class RbeeError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, details?: readonly FieldError[]) {
    super(message);
    this.name = "RbeeError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details && this.details.length > 0 ? { details: [...this.details] } : {}),
      },
    };
  }

  /** Rebuilds an error from an error body received over a wire. */
  static fromBody(body: unknown, fallbackMessage: string): RbeeError {
    const parsed = ErrorBody.safeParse(body);
    if (!parsed.success) return new RbeeError("INTERNAL", fallbackMessage);
    const { code, message, details } = parsed.data.error;
    return new RbeeError(code, message, details);
  }
}

/** Turns zod issues into the API's `[{field, message}]` details. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
    message: issue.code === "invalid_type" && /received undefined$/.test(issue.message) ? "required" : issue.message,
  }));
}

/** Parses `input` with `schema`, or throws INVALID_REQUEST with field details. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = "request body"): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = fieldErrors(result.error);
  const first = details[0];
  const summary = first ? `${first.field}: ${first.message}` : "invalid";
  throw new RbeeError("INVALID_REQUEST", `Invalid ${what} (${summary})`, details);
}

/** Compile-time exhaustiveness check for unions. */
export function assertNever(value: never): never {
  throw new RbeeError("INTERNAL", `Unexpected value: ${JSON.stringify(value)}`);
}
