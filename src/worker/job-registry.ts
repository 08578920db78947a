import { RbeeError } from "../shared/contract/index.js";

type RunningJob = { readonly controller: AbortController; readonly done: Promise<void> };

/** The jobs running on this worker, by job id: what DELETE cancels and what shutdown waits for. */
export class JobRegistry {
  private readonly jobs = new Map<string, RunningJob>();

  get size(): number {
    return this.jobs.size;
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /**
   * Records a job that `run` performs; `run` gets the job's abort signal. The job leaves the
   * registry when `run` settles. Throws INVALID_REQUEST when the id is already running.
   */
  start(jobId: string, run: (signal: AbortSignal) => Promise<void>): Promise<void> {
    if (this.jobs.has(jobId)) {
      throw new RbeeError("INVALID_REQUEST", `Job ${jobId} is already running`, [
        { field: "job_id", message: "a job with this id is already running" },
      ]);
    }
    const controller = new AbortController();
    const done = Promise.resolve()
      .then(() => run(controller.signal))
      .finally(() => this.jobs.delete(jobId));
    this.jobs.set(jobId, { controller, done: done.catch(() => undefined) });
    return done;
  }

  /** Asks a job to stop; false when no job has that id. */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    job.controller.abort();
    return true;
  }

  /** Asks every job to stop and waits until they all ended. */
  async cancelAll(): Promise<void> {
    const running = [...this.jobs.values()];
    for (const job of running) job.controller.abort();
    await Promise.all(running.map((job) => job.done));
  }
}
