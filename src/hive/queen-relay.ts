import type { HeartbeatRequest, RegisterWorkerRequest, UpdateWorkerRequest, WorkerExitReport, WorkerState } from "../shared/contract/index.js";

const FORWARD_TIMEOUT_MS = 5000;
/** Exit reports kept for a queen that cannot be reached now (sent on its next callback). */
const MAX_PENDING_EXITS = 20;

/** Where relayed callbacks go: the queen's callback base URL and its token. */
export interface RelayTarget {
  readonly url: string;
  readonly token: string;
  readonly nodeName?: string;
}

/** What the relay needs to know about one worker. */
export interface RelayedWorker {
  readonly id: string;
  /** The per-spawn token the queen gave for this worker, if any; the relay drops it when the queen stops accepting it. */
  callbackToken: string | undefined;
  /** Whether the queen accepted this worker's registration (reset when it forgets the worker). */
  relayed: boolean;
  /** The registration as the queen should see it now. */
  registration(): RegisterWorkerRequest;
  status(): { state: WorkerState; slots_available: number };
}

type Outcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly status: number; readonly reason: string };

/**
 * Relays worker callbacks to the queen: registrations, heartbeats and updates go to
 * `{callback}/v1/workers/…` with the spawn's callback token (else the hive's). Forwarding never
 * throws: a failure is logged once and retried on the worker's next heartbeat; a queen that forgot
 * a worker (404) gets its registration again.
 */
export class QueenRelay {
  private target: RelayTarget | undefined;
  private readonly queues = new Map<string, Promise<void>>();
  private readonly failing = new Set<string>();
  /** Exit reports the queen has not accepted yet, oldest first, with the token to send each with. */
  private readonly pendingExits: { readonly report: WorkerExitReport; readonly token: string | undefined }[] = [];

  constructor(private readonly log: (line: string) => void) {}

  /** Sets (or changes) where callbacks go. */
  configure(target: RelayTarget): void {
    this.target = { ...target, url: target.url.replace(/\/+$/, "") };
  }

  get configured(): RelayTarget | undefined {
    return this.target;
  }

  /** Forgets a worker that exited. */
  forget(workerId: string): void {
    this.queues.delete(workerId);
    this.failing.delete(workerId);
  }

  /** Sends the worker's registration. */
  register(worker: RelayedWorker): Promise<void> {
    return this.enqueue(worker, () => this.sendRegistration(worker));
  }

  /** Sends a heartbeat, or the registration when the queen has not accepted it yet. */
  heartbeat(worker: RelayedWorker): Promise<void> {
    return this.enqueue(worker, async () => {
      if (!worker.relayed) return this.sendRegistration(worker);
      const body: HeartbeatRequest = { worker_id: worker.id, slots_available: worker.status().slots_available };
      await this.forwardOrReregister(worker, "/v1/workers/heartbeat", body);
    });
  }

  /** Sends a state change, or the registration (which carries the state) when not accepted yet. */
  update(worker: RelayedWorker): Promise<void> {
    return this.enqueue(worker, async () => {
      if (!worker.relayed) return this.sendRegistration(worker);
      const status = worker.status();
      const body: UpdateWorkerRequest = { worker_id: worker.id, state: status.state, slots_available: status.slots_available };
      await this.forwardOrReregister(worker, "/v1/workers/update", body);
    });
  }

  /**
   * Reports a worker that exited on its own (`POST {callback}/v1/workers/exited`), with its spawn's
   * callback token (else the hive's). Kept and sent again on the next callback when it fails.
   */
  async exited(report: WorkerExitReport, callbackToken: string | undefined): Promise<void> {
    this.pendingExits.push({ report, token: callbackToken });
    if (this.pendingExits.length > MAX_PENDING_EXITS) this.pendingExits.shift();
    await this.resendExits();
  }

  /** Sends the exit reports not accepted yet; the ones the queen takes (or refuses for good) are dropped. */
  async resendExits(): Promise<void> {
    const target = this.target;
    if (!target) return;
    for (const pending of [...this.pendingExits]) {
      let outcome = await post(target.url, "/v1/workers/exited", pending.token ?? target.token, pending.report);
      if (!outcome.ok && outcome.status === 401 && pending.token !== undefined) {
        outcome = await post(target.url, "/v1/workers/exited", target.token, pending.report);
      }
      // 0: the queen is unreachable now; anything else is its final word on this report.
      if (outcome.status === 0) {
        this.log(`exit report of ${pending.report.worker_id} not delivered (${outcome.ok ? "" : outcome.reason}); sending it on the next callback`);
        return;
      }
      const index = this.pendingExits.indexOf(pending);
      if (index >= 0) this.pendingExits.splice(index, 1);
    }
  }

  /** One forward at a time per worker, in order: an update never overtakes its registration. */
  private enqueue(worker: RelayedWorker, task: () => Promise<void>): Promise<void> {
    if (!this.target) return Promise.resolve();
    const previous = this.queues.get(worker.id) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => this.log(`relay of ${worker.id} failed: ${String(error)}`));
    this.queues.set(worker.id, next);
    return next;
  }

  private async forwardOrReregister(worker: RelayedWorker, path: string, body: unknown): Promise<void> {
    const outcome = await this.send(worker, path, body);
    if (outcome.ok) return;
    if (outcome.status === 404) {
      worker.relayed = false;
      await this.sendRegistration(worker);
    }
  }

  private async sendRegistration(worker: RelayedWorker): Promise<void> {
    const registration = worker.registration();
    const nodeName = this.target?.nodeName;
    const outcome = await this.send(worker, "/v1/workers/register", nodeName ? { ...registration, node_name: nodeName } : registration);
    worker.relayed = outcome.ok;
  }

  private async send(worker: RelayedWorker, path: string, body: unknown): Promise<Outcome> {
    const target = this.target;
    if (!target) return { ok: false, status: 0, reason: "no callback configured" };
    let outcome = await post(target.url, path, worker.callbackToken ?? target.token, body);
    // A queen that restarted no longer knows the per-spawn token it gave; the token it told the hive still works.
    if (!outcome.ok && outcome.status === 401 && worker.callbackToken !== undefined && worker.callbackToken !== target.token) {
      outcome = await post(target.url, path, target.token, body);
      if (outcome.ok) worker.callbackToken = undefined;
    }
    const key = worker.id;
    if (outcome.ok && this.failing.delete(key)) this.log(`relay of ${worker.id} to ${target.url} works again`);
    if (!outcome.ok && !(outcome.status === 404 && path !== "/v1/workers/register") && !this.failing.has(key)) {
      this.failing.add(key);
      this.log(`relay of ${worker.id} to ${target.url}${path} failed (${outcome.reason}); retrying on the next heartbeat`);
    }
    return outcome;
  }
}

async function post(base: string, path: string, token: string, body: unknown): Promise<Outcome> {
  try {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
    const text = await response.text().catch(() => "");
    if (response.ok) return { ok: true, status: response.status };
    return { ok: false, status: response.status, reason: `HTTP ${response.status} ${text.slice(0, 200)}` };
  } catch (error) {
    const cause = error instanceof Error ? ((error as { cause?: unknown }).cause ?? error) : error;
    return { ok: false, status: 0, reason: cause instanceof Error ? cause.message : String(cause) };
  }
}
