import type { Request, Response } from "express";
import { openSse as openSseChannel, type SseChannel } from "../node-common/sse-response.js";

/** One Server-Sent Events answer (SPEC §5). */
export type SseStream = SseChannel;

const KEEPALIVE_MS = 15_000;

/** True when the client asked for a progress stream. */
export function wantsEventStream(req: Request): boolean {
  return (req.headers.accept ?? "").includes("text/event-stream");
}

/** Starts an SSE answer; a comment line every 15 s keeps idle tunnels open during long steps. */
export function openSse(res: Response): SseStream {
  return openSseChannel(res, { keepAliveMs: KEEPALIVE_MS });
}
