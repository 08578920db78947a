import type { ErrorEvent, StreamEvent } from "../../shared/contract/index.js";
import type { Disposable } from "../../shared/emitter.js";
import { errorEvent, reportedError } from "../errors.js";

/**
 * A long operation whose events reach one client, whatever the transport: HTTP, IPC or a script.
 * The transport only forwards events and calls `cancel` (its user asked, or the client went away).
 */
export interface CoreStream<E> {
  /** Runs to the end, passing each event to `send`. Never rejects: a failure is the last event, `error`. */
  run(send: (event: E) => void): Promise<void>;
  /** Stops the work; idempotent. What the stream still sends after it depends on the work (see below). */
  cancel(): void;
}

/** Work that streams events until done or until `signal` aborts. */
export type StreamWork<E> = (send: (event: E) => void, signal: AbortSignal) => Promise<void>;

/** A stream over `work`: cancel aborts it at once; a failure ends it with an `error` event. */
export function workStream<E>(work: StreamWork<E>, where: string, log: (message: string) => void): CoreStream<E | ErrorEvent> {
  const abort = new AbortController();
  return {
    async run(send) {
      try {
        await work(send, abort.signal);
      } catch (error) {
        if (!abort.signal.aborted) send(errorEvent(reportedError(error, where, log)));
      }
    },
    cancel: () => abort.abort(),
  };
}

export interface InferenceStreamOptions {
  /** Cancels a started job on its worker: the worker then ends its stream with `end` / `cancelled`. */
  readonly cancelJob: (jobId: string) => Promise<void>;
  /** Makes the stream findable by its job id while the job runs (for `DELETE /v1/inference/{job_id}`). */
  readonly track: (jobId: string, stream: CoreStream<StreamEvent>) => Disposable;
  /** How long a cancelled job may take to end on its worker before the stream is cut. */
  readonly graceMs: number;
}

/**
 * An inference stream with the one cancel path every transport uses: before the job starts (a cold
 * start, a queue) the placement is aborted; once started, the job is cancelled on its worker and the
 * worker's own `end` / `cancelled` closes the stream, or, past `graceMs`, the stream is cut. Either
 * way a cancelled stream ends with `end` / `cancelled`.
 */
export function inferenceStream(work: StreamWork<StreamEvent>, options: InferenceStreamOptions): CoreStream<StreamEvent> {
  const abort = new AbortController();
  let jobId: string | undefined;
  let cancelled = false;
  let ended = false;
  let tokens = 0;
  let cut: ReturnType<typeof setTimeout> | undefined;
  let untrack: Disposable | undefined;

  const stream: CoreStream<StreamEvent> = {
    async run(send) {
      try {
        await work((event) => {
          if (ended) return;
          if (event.type === "started") {
            jobId = event.job_id;
            untrack = options.track(event.job_id, stream);
          } else if (event.type === "token") {
            tokens += 1;
          } else if (event.type === "end" || event.type === "error") {
            ended = true;
          }
          send(event);
        }, abort.signal);
      } finally {
        clearTimeout(cut);
        untrack?.();
      }
      if (cancelled && !ended) {
        ended = true;
        send({ type: "end", tokens_out: tokens, decode_ms: 0, ttft_ms: 0, stop_reason: "cancelled" });
      }
    },
    cancel() {
      if (cancelled || ended) return;
      cancelled = true;
      if (jobId === undefined) {
        abort.abort();
        return;
      }
      cut = setTimeout(() => abort.abort(), options.graceMs);
      options.cancelJob(jobId).catch(() => abort.abort());
    },
  };
  return stream;
}
