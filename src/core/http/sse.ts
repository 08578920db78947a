export { openSse, type SseChannel } from "../../node-common/sse-response.js";
import type { Response } from "express";
import { openSse } from "../../node-common/sse-response.js";
import { toRbeeError } from "./errors.js";

/** Writes an SSE comment, which keeps idle connections open through proxies. */
export function sseKeepAlive(res: Response): void {
  if (!res.writableEnded) res.write(": keep-alive\n\n");
}

/**
 * Answers with an SSE stream fed by `work`: `send` writes events, `signal` aborts when the client
 * goes away, a thrown error becomes an `error` event, and the stream always ends with `[DONE]`.
 */
export async function streamWork(
  res: Response,
  work: (send: (event: object) => void, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const sse = openSse(res);
  const abort = new AbortController();
  sse.onClose(() => abort.abort());
  try {
    await work((event) => sse.send(event), abort.signal);
  } catch (error) {
    const rbeeError = toRbeeError(error);
    sse.send({ type: "error", code: rbeeError.code, message: rbeeError.code === "INTERNAL" ? String((error as Error)?.message ?? error) : rbeeError.message });
  }
  sse.done();
}
