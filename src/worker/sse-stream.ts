import type { Response } from "express";
import { beginEventStream } from "../node-common/sse-response.js";
import { SSE_DONE, type StreamEvent } from "../shared/contract/index.js";

/** An open Server-Sent Events answer (SPEC §5): one JSON event per `data:` line, then `[DONE]`. */
export class SseStream {
  private ended = false;

  constructor(private readonly res: Response) {
    beginEventStream(res);
  }

  /** False once the stream ended or the client went away. */
  get open(): boolean {
    return !this.ended && !this.res.destroyed && !this.res.writableEnded;
  }

  /** Writes one event. */
  send(event: StreamEvent): void {
    if (this.open) this.res.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  /** Writes the `[DONE]` sentinel and ends the answer. */
  done(): void {
    if (!this.open) return;
    this.ended = true;
    this.res.end(`data: ${SSE_DONE}\n\n`);
  }
}
