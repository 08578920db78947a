import type { EndEvent, StreamEvent } from "../../shared/contract/index.js";

/** How a request ended, as the metrics count it. */
export type JobOutcomeKind = "ok" | "error" | "cancelled";

/** One request, once it has ended: where it ran (null when it never reached a worker) and its `end` figures. */
export interface JobOutcome {
  readonly model: string;
  readonly nodeName: string | null;
  readonly workerId: string | null;
  readonly outcome: JobOutcomeKind;
  readonly end: EndEvent | null;
  readonly endedAtMs: number;
}

/** Told once per request, whatever client API sent it, when it ends. */
export type JobObserver = (outcome: JobOutcome) => void;

/**
 * Follows one request's events (what its client is sent) to tell how it ended: the last `started`
 * names the worker, `end` carries the figures (`cancelled` as its stop reason counts as cancelled),
 * a client that went away before it cancelled it, and anything else (an `error`) is an error.
 */
export class JobOutcomeTracker {
  private started: { readonly nodeName: string; readonly workerId: string } | null = null;
  private end: EndEvent | null = null;

  constructor(private readonly model: string) {}

  observe(event: StreamEvent): void {
    if (event.type === "started") this.started = { nodeName: event.node_name, workerId: event.worker_id };
    else if (event.type === "end") this.end = event;
  }

  finish(aborted: boolean, nowMs: number = Date.now()): JobOutcome {
    const outcome: JobOutcomeKind = this.end ? (this.end.stop_reason === "cancelled" ? "cancelled" : "ok") : aborted ? "cancelled" : "error";
    return {
      model: this.model,
      nodeName: this.started?.nodeName ?? null,
      workerId: this.started?.workerId ?? null,
      outcome,
      end: this.end,
      endedAtMs: nowMs,
    };
  }
}
