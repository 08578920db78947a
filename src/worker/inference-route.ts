import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Request, Response } from "express";
import { parseOrThrow, RbeeError, WorkerInferenceRequest, type ErrorEvent, type StreamEvent } from "../shared/contract/index.js";
import { openSse } from "../node-common/sse-response.js";
import { toRbeeError } from "./http-errors.js";
import type { WorkerLog } from "./worker-log.js";
import type { WorkerRuntime } from "./worker-runtime.js";

function errorEvent(error: unknown): ErrorEvent {
  const failure = toRbeeError(error);
  if (failure.code !== "INTERNAL") return { type: "error", code: failure.code, message: failure.message };
  const detail = error instanceof Error ? error.message : String(error);
  return { type: "error", code: "WORKER_FAILED", message: `Generation failed: ${detail}` };
}

/**
 * `POST /v1/inference`: validates the body, takes a slot (503 NO_CAPACITY when none is free),
 * then streams `started`, one `token` per generated token, and `end` (or `error`), then `[DONE]`.
 * A client that goes away cancels its job and frees the slot.
 */
export function inferenceRoute(runtime: WorkerRuntime, log: WorkerLog) {
  return async (req: Request, res: Response): Promise<void> => {
    const request = parseOrThrow(WorkerInferenceRequest, req.body);
    const jobId = request.job_id ?? `job-${randomUUID()}`;
    if (runtime.jobs.has(jobId)) {
      throw new RbeeError("INVALID_REQUEST", `Job ${jobId} is already running`, [
        { field: "job_id", message: "a job with this id is already running" },
      ]);
    }
    const job = await runtime.reserve(request);
    const startedAt = performance.now();
    const { options } = runtime;

    // A second request with the same id may have passed the check above while this one was prepared.
    let running: Promise<void>;
    try {
      running = runtime.jobs.start(jobId, async (signal) => {
        try {
          const stream = openSse<StreamEvent>(res);
          stream.onClose(() => runtime.jobs.cancel(jobId));
          if (stream.closed || req.socket.destroyed) runtime.jobs.cancel(jobId);
          stream.send({
            type: "started",
            job_id: jobId,
            worker_id: options.workerId,
            node_name: options.nodeName,
            model_ref: options.modelRef,
          });
          try {
            const end = await job.run(signal, startedAt, (event) => stream.send(event));
            // Free the slot before the client hears `end`, so that its next request finds it free.
            job.release();
            stream.send(end);
            // One line per job for the worker's log (never the prompt or the answer).
            log(
              `job ${jobId} ${end.stop_reason}: ${end.tokens_in ?? 0} prompt tokens (${end.tokens_cached ?? 0} cached), ` +
                `${end.tokens_out} generated, ttft ${Math.round(end.ttft_ms)} ms, ${Math.round(end.decode_ms)} ms decoding`,
            );
          } catch (error) {
            job.release();
            log(`job ${jobId} failed: ${error instanceof Error ? error.message : String(error)}`);
            stream.send(errorEvent(error));
          } finally {
            stream.done();
          }
        } finally {
          job.release();
        }
      });
    } catch (error) {
      job.release();
      throw error;
    }
    await running;
  };
}
