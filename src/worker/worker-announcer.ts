import { setTimeout as sleep } from "node:timers/promises";
import {
  RbeeError,
  type HeartbeatRequest,
  type RegisterWorkerRequest,
  type UpdateWorkerRequest,
  type WorkerState,
} from "../shared/contract/index.js";
import { postCallback, type CallbackResult } from "./callback-client.js";
import type { WorkerLog } from "./worker-log.js";

/** The worker's current state as the callback should know it. */
export type WorkerStatus = { readonly state: WorkerState; readonly slots_available: number };

/** What the announcer needs from the worker. */
export type AnnouncerOptions = {
  readonly baseUrl: string;
  readonly token: string;
  readonly workerId: string;
  readonly heartbeatMs: number;
  readonly log: WorkerLog;
  /** The registration body, built fresh for every attempt. */
  readonly registration: () => RegisterWorkerRequest;
  readonly status: () => WorkerStatus;
  /** Called when the callback refuses the registration for good (a 4xx other than 408/429). */
  readonly onFatal: (error: RbeeError) => void;
};

const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 5000;

function retryable(result: CallbackResult): boolean {
  if (result.kind === "unreachable") return true;
  if (result.kind === "rejected") return result.status >= 500 || result.status === 408 || result.status === 429;
  return false;
}

function describe(result: CallbackResult): string {
  switch (result.kind) {
    case "accepted":
      return `HTTP ${result.status}`;
    case "rejected":
      return `HTTP ${result.status} ${result.message}`;
    case "unreachable":
      return result.message;
  }
}

/**
 * Keeps the callback (the queen, or the hive's relay) informed: registers once the model is loaded,
 * retrying with backoff while the callback is unreachable, then sends a heartbeat every interval
 * (registering again when a heartbeat gets 404), and reports state changes best effort, with at
 * most one update in flight and the latest state winning.
 */
export class WorkerAnnouncer {
  private readonly stopper = new AbortController();
  private registered = false;
  private registering: Promise<void> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private updating = false;
  private updateWanted = false;
  private lastReported: WorkerStatus | undefined;
  private heartbeatFailing = false;

  constructor(private readonly options: AnnouncerOptions) {}

  /** Registers, then starts the heartbeats; resolves once registered (or stopped). */
  async start(): Promise<void> {
    await this.ensureRegistered();
    this.scheduleHeartbeat();
  }

  /** Tells the callback the latest state and free slots, unless it already knows them. */
  reportState(): void {
    if (this.stopper.signal.aborted) return;
    if (!this.registered || this.updating) {
      this.updateWanted = true;
      return;
    }
    void this.sendUpdates();
  }

  /** Stops heartbeats, retries and updates. */
  stop(): void {
    this.stopper.abort();
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
  }

  private post(path: string, body: unknown): Promise<CallbackResult> {
    return postCallback(this.options.baseUrl, path, this.options.token, body, this.stopper.signal);
  }

  private ensureRegistered(): Promise<void> {
    this.registering ??= this.register().finally(() => {
      this.registering = undefined;
    });
    return this.registering;
  }

  private async register(): Promise<void> {
    this.registered = false;
    let delay = FIRST_RETRY_MS;
    for (let attempt = 1; !this.stopper.signal.aborted; attempt++) {
      const body = this.options.registration();
      const result = await this.post("/v1/workers/register", body);
      if (result.kind === "accepted") {
        this.registered = true;
        this.lastReported = { state: body.state ?? "idle", slots_available: body.slots_available };
        this.options.log(`registered with ${this.options.baseUrl}`);
        if (this.updateWanted || this.changedSinceReport()) this.reportState();
        return;
      }
      if (this.stopper.signal.aborted) return;
      if (!retryable(result)) {
        const error = new RbeeError(
          "WORKER_FAILED",
          `The callback ${this.options.baseUrl} refused to register this worker (${describe(result)})`,
        );
        this.options.onFatal(error);
        return;
      }
      if (attempt === 1 || attempt % 10 === 0) {
        this.options.log(`cannot register with ${this.options.baseUrl} yet (${describe(result)}); retrying`);
      }
      try {
        await sleep(delay, undefined, { signal: this.stopper.signal });
      } catch {
        return;
      }
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }

  private scheduleHeartbeat(): void {
    if (this.stopper.signal.aborted || !this.registered) return;
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(), this.options.heartbeatMs);
  }

  private async heartbeat(): Promise<void> {
    const body: HeartbeatRequest = {
      worker_id: this.options.workerId,
      slots_available: this.options.status().slots_available,
    };
    const result = await this.post("/v1/workers/heartbeat", body);
    if (result.kind === "rejected" && result.status === 404) {
      this.options.log("the callback does not know this worker anymore; registering again");
      await this.ensureRegistered();
    } else if (result.kind !== "accepted" && !this.heartbeatFailing && !this.stopper.signal.aborted) {
      this.heartbeatFailing = true;
      this.options.log(`heartbeat failed (${describe(result)})`);
    } else if (result.kind === "accepted" && this.heartbeatFailing) {
      this.heartbeatFailing = false;
      this.options.log("heartbeats are answered again");
    }
    this.scheduleHeartbeat();
  }

  private changedSinceReport(): boolean {
    const now = this.options.status();
    return now.state !== this.lastReported?.state || now.slots_available !== this.lastReported.slots_available;
  }

  private async sendUpdates(): Promise<void> {
    this.updating = true;
    try {
      do {
        this.updateWanted = false;
        if (!this.changedSinceReport()) continue;
        const status = this.options.status();
        const body: UpdateWorkerRequest = { worker_id: this.options.workerId, ...status };
        const result = await this.post("/v1/workers/update", body);
        if (result.kind === "accepted") this.lastReported = status;
      } while (this.updateWanted && this.registered && !this.stopper.signal.aborted);
    } finally {
      this.updating = false;
    }
  }
}
