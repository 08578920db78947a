import type { z } from "zod";
import { RbeeError, fieldErrors, type ErrorCode } from "../../shared/contract/index.js";

/** Anthropic's error types (https://docs.anthropic.com/en/api/errors). */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "api_error"
  | "overloaded_error";

/** Anthropic's error body: `{type: "error", error: {type, message}}`. */
export type AnthropicErrorBody = {
  readonly type: "error";
  readonly error: { readonly type: AnthropicErrorType; readonly message: string };
};

/** An error answer of the Anthropic-compatible route: an HTTP status and Anthropic's error body. */
export type AnthropicErrorAnswer = { readonly status: number; readonly body: AnthropicErrorBody };

/** Anthropic's type and status for each rbee code whose status Anthropic spells otherwise. */
const OWN: Partial<Record<ErrorCode, { readonly type: AnthropicErrorType; readonly status?: number }>> = {
  UNAUTHORIZED: { type: "authentication_error" },
  FORBIDDEN: { type: "permission_error" },
  PAYLOAD_TOO_LARGE: { type: "request_too_large" },
  // Every slot busy for too long, or no node to run on: Anthropic's "overloaded", which clients retry later.
  NO_CAPACITY: { type: "overloaded_error", status: 529 },
};

/** The Anthropic type of an HTTP status rbee gives. */
function typeOfStatus(status: number): AnthropicErrorType {
  if (status === 404) return "not_found_error";
  return status >= 500 ? "api_error" : "invalid_request_error";
}

/** Maps an rbee error to Anthropic's shape: 401 authentication_error, 404 not_found_error, NO_CAPACITY 529 overloaded_error, … */
export function toAnthropicError(error: RbeeError): AnthropicErrorAnswer {
  const own = OWN[error.code];
  const status = own?.status ?? error.status;
  return { status, body: { type: "error", error: { type: own?.type ?? typeOfStatus(status), message: error.message } } };
}

/** An `error` event of an rbee stream as an Anthropic error. */
export function streamErrorToAnthropic(event: { readonly code: string; readonly message: string }): AnthropicErrorAnswer {
  return toAnthropicError(RbeeError.fromBody({ error: { code: event.code, message: event.message } }, event.message));
}

/** Turns zod issues into one INVALID_REQUEST error whose message names the field (`messages.0.content: …`). */
export function invalidAnthropicRequest(error: z.ZodError): RbeeError {
  const details = fieldErrors(error);
  const first = details[0];
  const summary = first ? `${first.field === "(body)" ? "body" : first.field}: ${first.message}` : "invalid";
  return new RbeeError("INVALID_REQUEST", `Invalid request (${summary})`, details);
}
