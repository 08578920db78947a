import type { Response } from "express";
import { SSE_DONE } from "../../shared/contract/index.js";
import { toRbeeError } from "./errors.js";

/** A Server-Sent Events answer: one JSON object per `data:` line, ended by `data: [DONE]`. */
export interface SseChannel {
  send(event: object): void;
  /** Ends the stream with `[DONE]`. */
  done(): void;
  /** True once the client went away or the stream ended. */
  readonly closed: boolean;
  /** Called once when the client disconnects before `done()`. */
  onClose(listener: () => void): void;
}

/** Starts an SSE answer on `res`. */
export function openSse(res: Response): SseChannel {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  let closed = false;
  const listeners: (() => void)[] = [];
  res.on("close", () => {
    if (closed) return;
    closed = true;
    for (const listener of listeners) listener();
  });
  return {
    send(event) {
      if (!closed) res.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    done() {
      if (closed) return;
      closed = true;
      res.end(`data: ${SSE_DONE}\n\n`);
    },
    get closed() {
      return closed;
    },
    onClose(listener) {
      listeners.push(listener);
    },
  };
}

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
