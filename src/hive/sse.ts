import type { Request, Response } from "express";
import { SSE_DONE } from "../shared/contract/index.js";

const KEEPALIVE_MS = 15_000;

/** One Server-Sent Events answer: JSON objects on `data:` lines, ended by `data: [DONE]` (SPEC §5). */
export interface SseStream {
  send<E extends { readonly type: string }>(event: E): void;
  /** Sends `[DONE]` and ends the answer. */
  done(): void;
  /** True once the client went away or the stream was ended. */
  readonly closed: boolean;
}

/** True when the client asked for a progress stream. */
export function wantsEventStream(req: Request): boolean {
  return (req.headers.accept ?? "").includes("text/event-stream");
}

/** Starts an SSE answer; a comment line every 15 s keeps idle tunnels open during long steps. */
export function openSse(res: Response): SseStream {
  res.status(200);
  res.setHeader("content-type", "text/event-stream; charset=utf-8");
  res.setHeader("cache-control", "no-cache, no-transform");
  res.setHeader("x-accel-buffering", "no");
  res.flushHeaders();
  let closed = false;
  const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
  const close = (): void => {
    closed = true;
    clearInterval(keepalive);
  };
  res.once("close", close);
  return {
    send(event) {
      if (!closed) res.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    done() {
      if (closed) return;
      res.write(`data: ${SSE_DONE}\n\n`);
      close();
      res.end();
    },
    get closed() {
      return closed;
    },
  };
}
