import type { z } from "zod";
import { RbeeError, fieldErrors } from "../../shared/contract/index.js";

/** Ollama's error body: `{error: "…"}`. */
export type OllamaErrorBody = { readonly error: string };

/** An error answer of the Ollama-compatible routes: an HTTP status and Ollama's error body. */
export type OllamaErrorAnswer = { readonly status: number; readonly body: OllamaErrorBody };

/** Maps an rbee error to Ollama's shape with the same HTTP status. */
export function toOllamaError(error: RbeeError): OllamaErrorAnswer {
  return { status: error.status, body: { error: error.message } };
}

/** An `error` event of an rbee stream as an Ollama error. */
export function streamErrorToOllama(event: { readonly code: string; readonly message: string }): OllamaErrorAnswer {
  return toOllamaError(RbeeError.fromBody({ error: { code: event.code, message: event.message } }, event.message));
}

/** Turns zod issues into one INVALID_REQUEST error whose message names the field (`options.temperature: …`). */
export function invalidOllamaRequest(error: z.ZodError): RbeeError {
  const details = fieldErrors(error);
  const first = details[0];
  const summary = first ? `${first.field === "(body)" ? "body" : first.field}: ${first.message}` : "invalid";
  return new RbeeError("INVALID_REQUEST", `Invalid request (${summary})`, details);
}
