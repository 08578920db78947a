// The Server-Sent Events answers of every program: JSON objects on `data:` lines, then `[DONE]`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { SSE_DONE } from "../shared/contract/index.js";

/** True when the client asked for an event stream (`Accept: text/event-stream`). */
export function wantsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes("text/event-stream");
}

/**
 * Starts an event stream, with no buffering on the way: its headers leave with the first event
 * when that is written in this tick (one write, one packet: a worker's `started`), else on the
 * next turn of the event loop (a client that waits for a slow first event still gets them at once).
 */
export function beginEventStream(res: ServerResponse): void {
  res.statusCode = 200;
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  res.socket?.setNoDelay(true);
  setImmediate(() => {
    if (!res.headersSent && !res.destroyed) res.flushHeaders();
  });
}

/** An open event stream whose events are `E`. */
export interface SseChannel<E extends object = object> {
  send(event: E): void;
  /** Ends the stream with `[DONE]`. */
  done(): void;
  /** True once the client went away or the stream ended. */
  readonly closed: boolean;
  /** Called once when the client disconnects before `done()`. */
  onClose(listener: () => void): void;
  /** Bytes sent but not yet taken by the client's connection (a reader that does not read lets them pile up). */
  readonly backlog: number;
  /** Settles once the backlog has gone out (at once when nothing waits), or the stream closed. */
  drained(): Promise<void>;
}

/**
 * Starts an event stream on `res`. With `keepAliveMs`, a comment line keeps idle connections (and
 * SSH tunnels) open during long silent steps.
 */
export function openSse<E extends object = object>(res: ServerResponse, options: { readonly keepAliveMs?: number } = {}): SseChannel<E> {
  beginEventStream(res);
  let ended = false;
  const listeners: (() => void)[] = [];
  const isClosed = (): boolean => ended || res.destroyed || res.writableEnded;
  const keepAlive =
    options.keepAliveMs === undefined ? undefined : setInterval(() => res.write(": keep-alive\n\n"), options.keepAliveMs);
  res.on("close", () => {
    clearInterval(keepAlive);
    if (ended) return;
    ended = true;
    for (const listener of listeners) listener();
  });
  return {
    send(event) {
      if (isClosed()) return;
      // The events sent in one tick (a burst of deltas, a token and its end) leave in one write.
      if (res.writableCorked === 0) {
        res.cork();
        process.nextTick(() => res.uncork());
      }
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    done() {
      if (ended) return;
      ended = true;
      clearInterval(keepAlive);
      if (!res.destroyed && !res.writableEnded) res.end(`data: ${SSE_DONE}\n\n`);
    },
    get closed() {
      return isClosed();
    },
    onClose(listener) {
      listeners.push(listener);
    },
    get backlog() {
      return res.writableLength;
    },
    drained() {
      return new Promise((resolve) => {
        if (isClosed() || !res.writableNeedDrain) return resolve();
        const settle = (): void => {
          res.off("drain", settle);
          res.off("close", settle);
          resolve();
        };
        res.on("drain", settle);
        res.on("close", settle);
      });
    },
  };
}
