import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  InferenceRequest,
  RbeeError,
  StreamEvent,
  type RegisteredWorker,
} from "../../shared/contract/index.js";
import { sseData } from "../../shared/sse.js";
import type { Fleet } from "../fleet.js";
import type { WorkerEndpoint } from "../fleet/worker-endpoints.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { WorkerRegistry } from "../registry/worker-registry.js";
import { schedule, spawnKey } from "../scheduling/scheduler.js";
import { Emitter } from "../../shared/emitter.js";

type ParsedInference = z.output<typeof InferenceRequest>;

/** How long a request waits for a busy model's slot before it gives up with NO_CAPACITY. */
const QUEUE_TIMEOUT_MS = 5 * 60_000;
/** How often a request goes back to the queue when a worker turns it away as busy. */
const MAX_BUSY_RETRIES = 20;

/** What inference needs of the fleet. */
export type InferenceFleet = Pick<Fleet, "endpoint" | "spawnWorker" | "forgetIfGone" | "retireWorker">;

/** What inference reads and uses. */
export interface InferenceDeps {
  readonly beehives: BeehiveRegistry;
  /** The one owner of a worker's free slots: inference books and releases them there. */
  readonly workers: WorkerRegistry;
  readonly fleet: InferenceFleet;
  /** Workers that may get new work (not stale); default all. */
  readonly usable?: ((worker: RegisteredWorker) => boolean) | undefined;
}

interface RunningJob {
  readonly worker: RegisteredWorker;
  endpoint?: WorkerEndpoint;
}

/**
 * Runs inference for the queen: places the request (an idle worker with the model, or a spawn
 * with its progress streamed), relays the worker's token stream unchanged but for the node name,
 * and cancels on request or when the client goes away.
 */
export class InferenceService {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly spawning = new Set<string>();
  private readonly spawnsChanged = new Emitter<void>();

  constructor(private readonly deps: InferenceDeps) {}

  /** Streams one request's events to `send`; never throws once streaming (errors become `error` events). */
  async run(request: ParsedInference, send: (event: StreamEvent) => void, signal: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      let worker: RegisteredWorker;
      try {
        worker = await this.acquire(request, send, signal);
      } catch (error) {
        if (!signal.aborted) send(errorEvent(error));
        return;
      }
      const outcome = await this.runOn(worker, request, send, signal, attempt < MAX_BUSY_RETRIES);
      if (outcome !== "busy") return;
    }
  }

  /** Runs the job on one worker; "busy" when the worker turned it away before it started. */
  private async runOn(
    worker: RegisteredWorker,
    request: ParsedInference,
    send: (event: StreamEvent) => void,
    signal: AbortSignal,
    mayRetry: boolean,
  ): Promise<"done" | "busy"> {
    const jobId = `job-${randomBytes(6).toString("hex")}`;
    const job: RunningJob = { worker };
    this.jobs.set(jobId, job);
    try {
      job.endpoint = await this.deps.fleet.endpoint(worker);
      await this.relay(job.endpoint, jobId, worker, request, send, signal);
      return "done";
    } catch (error) {
      if (mayRetry && !signal.aborted && error instanceof RbeeError && error.code === "NO_CAPACITY") return "busy";
      if (mayRetry && !signal.aborted && error instanceof RbeeError && error.code === "WORKER_NOT_FOUND") {
        // The registry still listed a worker its node no longer runs: retire it and place the job again.
        void this.deps.fleet.retireWorker(worker.id, "gone", { stopProcess: false });
        return "busy";
      }
      if (signal.aborted) {
        await this.cancelOnWorker(job, jobId);
      } else if (error instanceof RbeeError) {
        send(errorEvent(error));
      } else {
        send(errorEvent(workerLost(worker, error)));
        // The worker may have died: find out now rather than at the heartbeat timeout.
        void this.deps.fleet.forgetIfGone(worker);
      }
      return "done";
    } finally {
      this.jobs.delete(jobId);
      this.deps.workers.release(worker.id);
    }
  }

  /** Cancels a running job: its stream ends with `end` / `cancelled`. */
  async cancel(jobId: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job) throw new RbeeError("JOB_NOT_FOUND", `No running job "${jobId}"`);
    await this.cancelOnWorker(job, jobId);
  }

  /**
   * Finds or makes a worker for the request and books one of its slots. While every worker with
   * the model is busy, loading or being spawned, the request queues (up to QUEUE_TIMEOUT_MS) instead
   * of spawning more: one spawn per model and node at a time.
   */
  private async acquire(request: ParsedInference, send: (event: StreamEvent) => void, signal: AbortSignal): Promise<RegisteredWorker> {
    const deadline = Date.now() + QUEUE_TIMEOUT_MS;
    let told = false;
    for (;;) {
      if (signal.aborted) throw new RbeeError("WORKER_FAILED", "Cancelled");
      const workers = this.deps.workers.list().filter(this.deps.usable ?? (() => true));
      const decision = schedule({ model: request.model, node: request.node }, this.deps.beehives.list(), workers, this.spawning);
      switch (decision.kind) {
        case "reuse": {
          // Booked in the same tick as the decision, so no other request can take the same slot.
          const booked = this.deps.workers.book(decision.worker.id);
          if (booked) return booked;
          break;
        }
        case "none":
          throw new RbeeError(request.node && decision.reason.startsWith("No node named") ? "NODE_NOT_FOUND" : "NO_CAPACITY", decision.reason);
        case "spawn":
          await this.spawnFor(decision.node.node_name, request.model, send, signal);
          break;
        case "wait":
          if (!told) {
            send({ type: "progress", stage: "loading", message: `${decision.reason}: waiting for a free slot` });
            told = true;
          }
          await this.nextChange(signal, deadline, decision.reason);
          break;
      }
    }
  }

  private async spawnFor(nodeName: string, model: string, send: (event: StreamEvent) => void, signal: AbortSignal): Promise<void> {
    const key = spawnKey(nodeName, model);
    this.spawning.add(key);
    try {
      await this.deps.fleet.spawnWorker(
        { node_name: nodeName, model_ref: model, backend: "cpu", device: 0 },
        (progress) => send({ type: "progress", ...progress }),
        signal,
      );
    } finally {
      this.spawning.delete(key);
      this.spawnsChanged.fire();
    }
  }

  /** Resolves at the next change of workers or spawns; NO_CAPACITY past the deadline. */
  private nextChange(signal: AbortSignal, deadline: number, reason: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const cleanUp = (): void => {
        disposeWorkers();
        disposeSpawns();
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
      };
      const done = (): void => {
        cleanUp();
        resolve();
      };
      const disposeWorkers = this.deps.workers.onDidChange(done);
      const disposeSpawns = this.spawnsChanged.on(done);
      signal.addEventListener("abort", done);
      const timer = setTimeout(() => {
        cleanUp();
        reject(new RbeeError("NO_CAPACITY", `${reason} for ${Math.round(QUEUE_TIMEOUT_MS / 1000)} s; try again later or spawn another worker`));
      }, Math.max(0, deadline - Date.now()));
    });
  }

  private async relay(
    endpoint: WorkerEndpoint,
    jobId: string,
    worker: RegisteredWorker,
    request: ParsedInference,
    send: (event: StreamEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await fetch(`${endpoint.baseUrl}/v1/inference`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${endpoint.token}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify({
        job_id: jobId,
        ...(request.prompt !== undefined ? { prompt: request.prompt } : {}),
        ...(request.messages !== undefined ? { messages: request.messages } : {}),
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        ...(request.stop !== undefined ? { stop: request.stop } : {}),
      }),
      signal,
    });
    if (!response.ok || !response.body) {
      const body: unknown = await response.json().catch(() => undefined);
      throw RbeeError.fromBody(body, `Worker ${worker.id} answered HTTP ${response.status}`);
    }
    const events = sseData(response.body);
    for (;;) {
      const next = await events.next();
      if (next.done) {
        if (!next.value) throw new RbeeError("WORKER_FAILED", `Worker ${worker.id} stopped in the middle of the answer`);
        return;
      }
      const event = StreamEvent.parse(JSON.parse(next.value));
      send(event.type === "started" ? { ...event, node_name: worker.node_name } : event);
    }
  }

  private async cancelOnWorker(job: RunningJob, jobId: string): Promise<void> {
    if (!job.endpoint) return;
    try {
      await fetch(`${job.endpoint.baseUrl}/v1/inference/${encodeURIComponent(jobId)}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${job.endpoint.token}` },
        signal: AbortSignal.timeout(5_000),
      });
    } catch {
      // The worker is gone or the job already ended: nothing left to cancel.
    }
  }
}

/** A transport failure talking to a worker, in words. */
function workerLost(worker: RegisteredWorker, error: unknown): RbeeError {
  if (error instanceof z.ZodError) return new RbeeError("WORKER_FAILED", `Worker ${worker.id} sent an event outside the contract`);
  const reason = (error as Error)?.message ?? String(error);
  return new RbeeError("WORKER_FAILED", `Lost worker ${worker.id} on ${worker.node_name} in the middle of the answer (${reason})`);
}

function errorEvent(error: unknown): StreamEvent {
  if (error instanceof RbeeError) return { type: "error", code: error.code, message: error.message };
  return { type: "error", code: "WORKER_FAILED", message: (error as Error)?.message ?? String(error) };
}
