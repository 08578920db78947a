import type { NodeModel, ProgressEvent } from "../../shared/contract/index.js";
import type { ModelTransfers, TransferHandle } from "./model-transfers.js";

/** What a job reports: a progress event without its `type`. */
export type JobProgress = Omit<ProgressEvent, "type">;

/** What a download or copy job is. */
export interface JobSpec {
  readonly kind: "download" | "copy";
  readonly nodeName: string;
  /** The catalog key of the model (see modelKey). */
  readonly modelKey: string;
  /** As the user wrote it, for messages and the transfers list. */
  readonly modelRef: string;
  readonly fromNode?: string;
}

/** A download or copy running on its own, whoever follows it. */
export interface ModelJob {
  readonly spec: JobSpec;
  readonly done: Promise<NodeModel>;
  /** Stops it (the partial file stays on the node). */
  readonly abort: AbortController;
}

interface RunningJob extends ModelJob {
  readonly listeners: Set<(progress: JobProgress) => void>;
  last: JobProgress | undefined;
}

function jobKey(nodeName: string, modelKey: string): string {
  return `${nodeName}\u0000${modelKey}`;
}

/**
 * The downloads and copies the queen runs, one per model and target node: a second request for
 * the same joins the first. A job goes on when the client that started it goes away (the window
 * closed); only `abort` (cancel) stops it. Each shows in the transfers list while it runs.
 */
export class ModelJobs {
  private readonly jobs = new Map<string, RunningJob>();

  constructor(private readonly transfers: ModelTransfers) {}

  /** Starts `work` for `spec`, or answers the job already running for the same model and node. */
  start(spec: JobSpec, work: (report: (progress: JobProgress) => void, signal: AbortSignal) => Promise<NodeModel>): ModelJob {
    const key = jobKey(spec.nodeName, spec.modelKey);
    const existing = this.jobs.get(key);
    if (existing) return existing;
    const abort = new AbortController();
    const transfer: TransferHandle = this.transfers.track({
      kind: spec.kind,
      node_name: spec.nodeName,
      model_ref: spec.modelRef,
      ...(spec.fromNode ? { from_node: spec.fromNode } : {}),
    });
    const listeners = new Set<(progress: JobProgress) => void>();
    const job: RunningJob = { spec, abort, listeners, last: undefined, done: Promise.resolve(undefined as never) };
    const report = (progress: JobProgress): void => {
      job.last = progress;
      if (progress.bytes !== undefined) transfer.update(progress.bytes, progress.bytes_total);
      for (const listener of [...listeners]) listener(progress);
    };
    const done = work(report, abort.signal).finally(() => {
      transfer.end();
      if (this.jobs.get(key) === job) this.jobs.delete(key);
    });
    done.catch(() => undefined);
    Object.assign(job, { done });
    this.jobs.set(key, job);
    return job;
  }

  /** The job running for this model on this node, if any. */
  find(nodeName: string, modelKey: string): ModelJob | undefined {
    return this.jobs.get(jobKey(nodeName, modelKey));
  }

  /**
   * Passes a job's progress to `listener` (where it stands at once, then each step) until it ends
   * or `signal` aborts (the client went away: the job goes on). Undefined in that last case.
   */
  async follow(job: ModelJob, listener: (progress: JobProgress) => void, signal: AbortSignal): Promise<NodeModel | undefined> {
    const running = job as RunningJob;
    if (running.last) listener(running.last);
    running.listeners.add(listener);
    const gone = new Promise<undefined>((resolve) => {
      if (signal.aborted) resolve(undefined);
      signal.addEventListener("abort", () => resolve(undefined), { once: true });
    });
    try {
      return await Promise.race([job.done, gone]);
    } finally {
      running.listeners.delete(listener);
    }
  }
}
