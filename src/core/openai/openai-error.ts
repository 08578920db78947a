import type { z } from "zod";
import { RbeeError, fieldErrors, type ErrorCode } from "../../shared/contract/index.js";

/** OpenAI's error body: `{error: {message, type, param, code}}`. */
export type OpenAiErrorBody = {
  readonly error: {
    readonly message: string;
    readonly type: "invalid_request_error" | "server_error";
    readonly param: string | null;
    readonly code: string | null;
  };
};

/** An error answer of the OpenAI-compatible routes: an HTTP status and OpenAI's error body. */
export type OpenAiErrorAnswer = { readonly status: number; readonly body: OpenAiErrorBody };

/** OpenAI's own codes where one fits; otherwise rbee's code in lower case (`no_capacity`, `worker_failed`, …). */
const OPENAI_CODE: Partial<Record<ErrorCode, string>> = {
  UNAUTHORIZED: "invalid_api_key",
  FORBIDDEN: "permission_denied",
  MODEL_NOT_FOUND: "model_not_found",
  ROUTE_NOT_FOUND: "unknown_url",
  PAYLOAD_TOO_LARGE: "request_too_large",
  INVALID_REQUEST: "invalid_request",
};

/** A field path of the rbee contract (`messages.0.content`) in OpenAI's notation (`messages[0].content`). */
export function openAiParam(field: string): string {
  return field
    .split(".")
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join("");
}

/**
 * Maps an rbee error to OpenAI's error shape with the same HTTP status: 4xx are
 * `invalid_request_error`, 5xx `server_error`; `param` names the first invalid field.
 */
export function toOpenAiError(error: RbeeError): OpenAiErrorAnswer {
  const first = error.details?.[0];
  const param = error.code === "MODEL_NOT_FOUND" ? "model" : first && first.field !== "(body)" ? openAiParam(first.field) : null;
  return {
    status: error.status,
    body: {
      error: {
        message: error.message,
        type: error.status >= 500 ? "server_error" : "invalid_request_error",
        param,
        code: OPENAI_CODE[error.code] ?? error.code.toLowerCase(),
      },
    },
  };
}

/** An `error` event of an rbee stream as an OpenAI error (the stream carries no HTTP status of its own). */
export function streamErrorToOpenAi(event: { readonly code: string; readonly message: string }): OpenAiErrorAnswer {
  return toOpenAiError(RbeeError.fromBody({ error: { code: event.code, message: event.message } }, event.message));
}

/** Turns zod issues into one INVALID_REQUEST error whose message names the field as OpenAI does. */
export function invalidRequest(error: z.ZodError): RbeeError {
  const details = fieldErrors(error);
  const first = details[0];
  const summary = first ? `${first.field === "(body)" ? "body" : openAiParam(first.field)}: ${first.message}` : "invalid";
  return new RbeeError("INVALID_REQUEST", `Invalid request (${summary})`, details);
}
