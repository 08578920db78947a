// The Server-Sent Events answers of every program (SPEC §5): JSON objects on `data:` lines, then `[DONE]`.
import type { ServerResponse } from "node:http";
import { SSE_DONE } from "../shared/contract/index.js";

/** Sends the headers of an event stream at once, with no buffering on the way. */
export function beginEventStream(res: ServerResponse): void {
  res.statusCode = 200;
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  res.socket?.setNoDelay(true);
}

/** An open event stream. */
export interface SseChannel {
  send(event: object): void;
  /** Ends the stream with `[DONE]`. */
  done(): void;
  /** True once the client went away or the stream ended. */
  readonly closed: boolean;
  /** Called once when the client disconnects before `done()`. */
  onClose(listener: () => void): void;
}

/**
 * Starts an event stream on `res`. With `keepAliveMs`, a comment line keeps idle connections (and
 * SSH tunnels) open during long silent steps.
 */
export function openSse(res: ServerResponse, options: { readonly keepAliveMs?: number } = {}): SseChannel {
  beginEventStream(res);
  let closed = false;
  const listeners: (() => void)[] = [];
  const keepAlive =
    options.keepAliveMs === undefined ? undefined : setInterval(() => res.write(": keep-alive\n\n"), options.keepAliveMs);
  res.on("close", () => {
    clearInterval(keepAlive);
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
      clearInterval(keepAlive);
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
