import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  InferenceRequest,
  RbeeError,
  StreamEvent,
  type Beehive,
  type ErrorEvent,
  type RegisteredWorker,
  type WorkerEmbeddingsResponse,
} from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import type { Fleet } from "../fleet.js";
import type { WorkerEndpoint } from "../fleet/worker-endpoints.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { WorkerRegistry } from "../registry/worker-registry.js";
import { postEmbeddings } from "./worker-embeddings.js";
import { answerText, deleteOnWorker, postToWorker, readSseData } from "./worker-request.js";
import { AffinityIndex } from "../scheduling/affinity.js";
import { heldMarks, prefixMarks, type PrefixMark } from "../scheduling/prompt-prefix.js";
import type { FleetModels } from "../models/fleet-models.js";
import type { PlanOutcome } from "../placement/plan.js";
import type { PlacementSurvey } from "../placement/placement-survey.js";
import { schedule, spawnKey, type Decision } from "../scheduling/scheduler.js";
import { placeInLine, WaitLine, type RequestOrigin } from "../scheduling/wait-line.js";
import { JobOutcomeTracker, type JobOutcome } from "./job-outcome.js";

type ParsedInference = z.output<typeof InferenceRequest>;

/** What placement reads of a request: the model, the node it must run on, its conversation. */
type Placement = Pick<ParsedInference, "model" | "node" | "session">;

/** Embeddings of texts, placed on the fleet as inference is. */
export type EmbeddingJob = { readonly model: string; readonly node?: string | undefined; readonly input: readonly string[] };

/** The work a placed request does on its booked worker. */
type WorkerWork = (endpoint: WorkerEndpoint, jobId: string, worker: RegisteredWorker, signal: AbortSignal) => Promise<void>;

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
  /** Where the fleet's model files are, for a spawn's choice of node. */
  readonly models?: Pick<FleetModels, "holders" | "refreshOpen"> | undefined;
  /** Where a model no worker serves fits in the nodes' free memory (one node, or split). */
  readonly placement?: Pick<PlacementSurvey, "survey"> | undefined;
}

/** How long a spawn on demand waits for the nodes' free memory before it places without it. */
const PLAN_DEADLINE_MS = 2_000;

interface RunningJob {
  readonly worker: RegisteredWorker;
  endpoint?: WorkerEndpoint;
  /** Ends the job's stream from the queen's side (see endJobsOf). */
  readonly abort: AbortController;
  /** What the stream ended with when the queen ended it. */
  failure?: RbeeError;
}

/** One request's part in placement: what it asks for and its place in line, kept across retries. */
interface Ticket {
  readonly request: Placement;
  readonly place: number;
  /** The beginnings of its input, and those a worker that runs it will be known to hold. */
  readonly marks: readonly PrefixMark[];
  readonly held: readonly PrefixMark[];
  /** Where the model fits, when no worker served it as the request arrived. */
  plan?: PlanOutcome | undefined;
}

/** What a request waiting in line is told when its turn comes. */
type Turn =
  | { readonly kind: "worker"; readonly worker: RegisteredWorker }
  | { readonly kind: "spawn"; readonly nodeName: string; readonly shards?: readonly string[] | undefined }
  | { readonly kind: "error"; readonly error: RbeeError };

/** A request in line: its ticket, how to tell it its position and its turn. */
interface Waiter {
  readonly ticket: Ticket;
  readonly place: number;
  readonly send: (event: StreamEvent) => void;
  readonly signal: AbortSignal;
  /** The position it was last told (1 = next), and why it waits. */
  told: { position: number; reason: string } | undefined;
  readonly settle: (turn: Turn) => void;
}

/**
 * Runs inference for the queen: places the request (a worker with the model and a free slot, the
 * one holding the conversation first; or a spawn with its progress streamed), keeps it in a visible
 * line while every slot is busy, relays the worker's token stream unchanged but for the node name,
 * and cancels on request or when the client goes away.
 */
export class InferenceService {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly spawning = new Set<string>();
  private readonly line = new WaitLine<Waiter>();
  private readonly affinity = new AffinityIndex();
  /** When each worker was last given a job (for spreading new conversations); bounded like the affinity. */
  private readonly lastAssigned = new Map<string, number>();
  private assignments = 0;
  private draining = false;
  private drainAgain = false;
  private readonly ended = new Emitter<JobOutcome>();
  private readonly lineChanged = new Emitter<void>();

  /** Fires once per request when it ends, whichever client API sent it: what the metrics count. */
  readonly onJobEnd = (listener: (outcome: JobOutcome) => void) => this.ended.on(listener);
  /** Fires when a request joins or leaves the wait line. */
  readonly onLineChange = (listener: () => void) => this.lineChanged.on(listener);

  /** The node registry as last read; dropped on every change of it (its rows are SQLite, parsed per read). */
  private knownNodes: readonly Beehive[] | undefined;

  constructor(private readonly deps: InferenceDeps) {
    deps.workers.onDidChange(() => this.drain());
    deps.beehives.onDidChange(() => {
      this.knownNodes = undefined;
    });
  }

  /**
   * Streams one request's events to `send`; never throws once streaming (errors become `error`
   * events). Interactive requests (the chat pane, the CLI) go ahead of API requests that have
   * waited less than 30 s.
   */
  async run(request: ParsedInference, send: (event: StreamEvent) => void, signal: AbortSignal, origin: RequestOrigin = "interactive"): Promise<void> {
    const tracker = new JobOutcomeTracker(request.model);
    try {
      await this.placeInference(request, (event) => {
        tracker.observe(event);
        send(event);
      }, signal, origin);
    } finally {
      this.ended.fire(tracker.finish(signal.aborted));
    }
  }

  /** Requests waiting in line per model (the queue depth). */
  waitingPerModel(): ReadonlyMap<string, number> {
    const counts = new Map<string, number>();
    for (const waiter of this.line.inOrder()) counts.set(waiter.ticket.request.model, (counts.get(waiter.ticket.request.model) ?? 0) + 1);
    return counts;
  }

  /** Jobs running on each worker now. */
  runningPerWorker(): ReadonlyMap<string, number> {
    const counts = new Map<string, number>();
    for (const job of this.jobs.values()) counts.set(job.worker.id, (counts.get(job.worker.id) ?? 0) + 1);
    return counts;
  }

  /** Places an inference request and relays its worker's stream, recording the conversation for affinity. */
  private async placeInference(request: ParsedInference, send: (event: StreamEvent) => void, signal: AbortSignal, origin: RequestOrigin): Promise<void> {
    const marks = prefixMarks(request);
    const ticket: Ticket = { request, place: placeInLine(origin, Date.now()), marks, held: heldMarks(request, marks) };
    await this.place(ticket, send, signal, (endpoint, jobId, worker, jobSignal) =>
      this.relay(endpoint, jobId, worker, request, (event) => {
        if (event.type === "started") this.affinity.record(worker.id, request.session, ticket.held);
        send(event);
      }, jobSignal),
    );
  }

  /**
   * Computes embeddings on a worker with the model, placed exactly as inference is: a free worker,
   * else a spawn (its progress is not shown: the answer is one JSON object), else a place in line.
   * Throws the placement's or the worker's error.
   */
  async embed(job: EmbeddingJob, signal: AbortSignal, origin: RequestOrigin = "api"): Promise<WorkerEmbeddingsResponse> {
    const ticket: Ticket = { request: { model: job.model, node: job.node, session: undefined }, place: placeInLine(origin, Date.now()), marks: [], held: [] };
    let answer: WorkerEmbeddingsResponse | undefined;
    let failure: ErrorEvent | undefined;
    await this.place(ticket, (event) => {
      if (event.type === "error") failure ??= event;
    }, signal, async (endpoint, _jobId, worker, jobSignal) => {
      answer = await postEmbeddings(endpoint, worker, job.input, jobSignal);
    });
    if (answer) return answer;
    if (signal.aborted) throw new RbeeError("WORKER_FAILED", "Cancelled");
    throw RbeeError.fromBody({ error: { code: failure?.code ?? "WORKER_FAILED", message: failure?.message ?? "The embeddings were not computed" } }, "");
  }

  /** Books a worker for the ticket and runs `work` there, placing it again when the worker turns it away as busy. */
  private async place(ticket: Ticket, send: (event: StreamEvent) => void, signal: AbortSignal, work: WorkerWork): Promise<void> {
    const { request } = ticket;
    // A model no worker serves may be spawned: look (briefly, only at open hives) where its file is.
    if (request.node === undefined && !this.deps.workers.list().some((worker) => worker.model_ref === request.model)) {
      const beingSpawned = [...this.spawning].some((key) => key.split("\u0000")[1] === request.model);
      if (this.deps.placement && !beingSpawned) {
        // Also where the model fits: a model too big for any one node is spawned split across several.
        // The spawn runs on cpu (as below), so the plan counts free RAM; only open hives are asked (no start).
        const survey = await this.deps.placement.survey({ model: request.model, backend: "cpu", deadlineMs: PLAN_DEADLINE_MS, openOnly: true }).catch(() => undefined);
        ticket.plan = survey?.plan;
      } else {
        await this.deps.models?.refreshOpen().catch(() => undefined);
      }
    }
    for (let attempt = 1; ; attempt += 1) {
      let worker: RegisteredWorker;
      try {
        worker = await this.acquire(ticket, send, signal);
      } catch (error) {
        if (!signal.aborted) send(errorEvent(error));
        return;
      }
      const outcome = await this.runOn(worker, work, send, signal, attempt < MAX_BUSY_RETRIES);
      if (outcome !== "busy") return;
    }
  }

  /** Runs the job on one worker; "busy" when the worker turned it away before it started. */
  private async runOn(
    worker: RegisteredWorker,
    work: WorkerWork,
    send: (event: StreamEvent) => void,
    signal: AbortSignal,
    mayRetry: boolean,
  ): Promise<"done" | "busy"> {
    const jobId = `job-${randomBytes(6).toString("hex")}`;
    const job: RunningJob = { worker, abort: new AbortController() };
    this.jobs.set(jobId, job);
    try {
      job.endpoint = await this.deps.fleet.endpoint(worker);
      await work(job.endpoint, jobId, worker, AbortSignal.any([signal, job.abort.signal]));
      return "done";
    } catch (error) {
      if (job.failure) {
        if (!signal.aborted) send(errorEvent(job.failure));
        return "done";
      }
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

  /**
   * Ends every running job of a worker now with `error` (SHARD_LOST: a split worker lost a
   * shard), rather than with whatever its process says as it is stopped.
   */
  endJobsOf(workerId: string, error: RbeeError): void {
    for (const job of this.jobs.values()) {
      if (job.worker.id !== workerId || job.failure) continue;
      job.failure = error;
      job.abort.abort(error);
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
   * the model is busy, loading or being spawned, the request waits in line (up to QUEUE_TIMEOUT_MS)
   * instead of spawning more, told its position as it moves: one spawn per model and node at a time.
   */
  private async acquire(ticket: Ticket, send: (event: StreamEvent) => void, signal: AbortSignal): Promise<RegisteredWorker> {
    const deadline = Date.now() + QUEUE_TIMEOUT_MS;
    for (;;) {
      const turn = await this.waitForTurn(ticket, send, signal, deadline);
      switch (turn.kind) {
        case "worker":
          return turn.worker;
        case "error":
          throw turn.error;
        case "spawn":
          await this.spawnFor(turn.nodeName, ticket.request.model, turn.shards, send, signal);
          break;
      }
    }
  }

  /** Puts the request in line and resolves when its turn comes: a booked worker, a node to spawn on, or why not. */
  private waitForTurn(ticket: Ticket, send: (event: StreamEvent) => void, signal: AbortSignal, deadline: number): Promise<Turn> {
    return new Promise((resolve) => {
      const leave = (turn: Turn): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (this.line.remove(waiter)) this.lineChanged.fire();
        resolve(turn);
      };
      const waiter: Waiter = { ticket, place: ticket.place, send, signal, told: undefined, settle: leave };
      const onAbort = (): void => {
        leave({ kind: "error", error: new RbeeError("WORKER_FAILED", "Cancelled") });
        this.drain();
      };
      const timer = setTimeout(() => {
        const reason = waiter.told?.reason ?? `Every worker with ${ticket.request.model} is busy`;
        leave({
          kind: "error",
          error: new RbeeError("NO_CAPACITY", `${reason} for ${Math.round(QUEUE_TIMEOUT_MS / 1000)} s; try again later or spawn another worker`),
        });
        this.drain();
      }, Math.max(0, deadline - Date.now()));
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort);
      this.line.add(waiter);
      this.lineChanged.fire();
      this.drain();
    });
  }

  /**
   * Gives free slots to the line in order: each waiter, first in line first, gets a booked worker, a
   * spawn or its error; those that must wait are told their position among the waiters for the
   * same model whenever it changes. Runs on every change of workers, spawns and the line.
   */
  private drain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        this.drainOnce();
      } while (this.drainAgain);
    } finally {
      this.draining = false;
    }
  }

  private drainOnce(): void {
    if (this.line.size === 0) return;
    const waitingPerModel = new Map<string, number>();
    // The node registry is SQLite: read once per change, not per pass (a warm request makes several
    // passes). Workers are re-read per waiter (in memory), since each booking changes their free slots.
    const nodes = (this.knownNodes ??= this.deps.beehives.list());
    for (const waiter of this.line.inOrder()) {
      const { request } = waiter.ticket;
      const decision = this.decide(waiter.ticket, nodes);
      const turn = this.turnOf(decision, request);
      if (turn) {
        waiter.settle(turn);
        continue;
      }
      if (decision.kind !== "wait") continue;
      const position = (waitingPerModel.get(request.model) ?? 0) + 1;
      waitingPerModel.set(request.model, position);
      if (waiter.told?.position === position) continue;
      waiter.told = { position, reason: decision.reason };
      waiter.send({ type: "progress", stage: "queue", position, message: `${decision.reason} (position ${position} in line)` });
    }
  }

  private decide(ticket: Ticket, nodes: readonly Beehive[]): Decision {
    const { request } = ticket;
    const workers = this.deps.workers.list().filter(this.deps.usable ?? (() => true));
    const affinity = this.affinity.scores(request.session, ticket.marks);
    return schedule(
      { model: request.model, node: request.node, affinity, lastAssigned: this.lastAssigned, holders: this.deps.models?.holders(request.model), plan: ticket.plan },
      nodes,
      workers,
      this.spawning,
    );
  }

  /** What a decision means for a waiter now; undefined while it must keep waiting. */
  private turnOf(decision: Decision, request: Placement): Turn | undefined {
    switch (decision.kind) {
      case "reuse": {
        // Booked in the same pass as the decision, so no other request can take the same slot.
        const booked = this.deps.workers.book(decision.worker.id);
        if (!booked) return undefined;
        this.noteAssigned(booked.id);
        return { kind: "worker", worker: booked };
      }
      case "none": {
        const code = decision.unknownNode ? "NODE_NOT_FOUND" : "NO_CAPACITY";
        return { kind: "error", error: new RbeeError(code, decision.reason) };
      }
      case "spawn":
        // Marked as spawning before the next waiter decides, so it waits for this spawn instead of starting another.
        this.spawning.add(spawnKey(decision.node.node_name, request.model));
        return { kind: "spawn", nodeName: decision.node.node_name, shards: decision.shards };
      case "wait":
        return undefined;
    }
  }

  private noteAssigned(workerId: string): void {
    this.assignments += 1;
    this.lastAssigned.delete(workerId);
    this.lastAssigned.set(workerId, this.assignments);
    if (this.lastAssigned.size > 4_096) this.lastAssigned.delete(this.lastAssigned.keys().next().value!);
  }

  private async spawnFor(
    nodeName: string,
    model: string,
    shards: readonly string[] | undefined,
    send: (event: StreamEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await this.deps.fleet.spawnWorker(
        { node_name: nodeName, model_ref: model, backend: "cpu", device: 0, ...(shards && shards.length > 0 ? { engine: "llama-server", shards } : {}) },
        (progress) => send({ type: "progress", ...progress }),
        signal,
      );
    } finally {
      this.spawning.delete(spawnKey(nodeName, model));
      this.drain();
    }
  }

  private async relay(
    endpoint: WorkerEndpoint,
    jobId: string,
    worker: RegisteredWorker,
    request: ParsedInference,
    send: (event: StreamEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const body = JSON.stringify({
      job_id: jobId,
      ...(request.prompt !== undefined ? { prompt: request.prompt } : {}),
      ...(request.messages !== undefined ? { messages: request.messages } : {}),
      max_tokens: request.max_tokens,
      temperature: request.temperature,
      ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.stop !== undefined ? { stop: request.stop } : {}),
      ...(request.cache_prompt !== undefined ? { cache_prompt: request.cache_prompt } : {}),
      ...(request.grammar !== undefined ? { grammar: request.grammar } : {}),
    });
    const answer = await postToWorker(`${endpoint.baseUrl}/v1/inference`, endpoint.token, body, signal, "text/event-stream");
    const status = answer.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = await answerText(answer);
      throw RbeeError.fromBody(parseJsonOrUndefined(text), `Worker ${worker.id} answered HTTP ${status}`);
    }
    const done = await readSseData(answer, (data) => {
      const event = StreamEvent.parse(JSON.parse(data));
      send(event.type === "started" ? { ...event, node_name: worker.node_name } : event);
    });
    if (!done) throw new RbeeError("WORKER_FAILED", `Worker ${worker.id} stopped in the middle of the answer`);
  }

  private async cancelOnWorker(job: RunningJob, jobId: string): Promise<void> {
    if (!job.endpoint) return;
    try {
      await deleteOnWorker(`${job.endpoint.baseUrl}/v1/inference/${encodeURIComponent(jobId)}`, job.endpoint.token, AbortSignal.timeout(5_000));
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

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorEvent(error: unknown): StreamEvent {
  if (error instanceof RbeeError) return { type: "error", code: error.code, message: error.message };
  return { type: "error", code: "WORKER_FAILED", message: (error as Error)?.message ?? String(error) };
}
