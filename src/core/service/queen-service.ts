import {
  RBEE_VERSION,
  RbeeError,
  type AnswerOf,
  type CallName,
  type EventOf,
  type FollowEventOf,
  type FollowMethod,
  type FollowName,
  type HeartbeatRequest,
  type ModelStreamEvent,
  type ParsedInputOf,
  type QueenEvent,
  type RegisterWorkerRequest,
  type RegisteredWorker,
  type StreamEvent,
  type StreamName,
  type UpdateWorkerRequest,
  type WorkerEmbeddingsResponse,
  type WorkerExit,
  type WorkerExitReport,
} from "../../shared/contract/index.js";
import type { EmbeddingJob } from "../inference/inference-service.js";
import type { Disposable } from "../../shared/emitter.js";
import { secretMatcher } from "../../node-common/secrets.js";
import type { Principal, Queen, StreamOperation } from "../queen.js";
import { readSshConfigHosts } from "../ssh/ssh-config-import.js";
import { nodeDefaults } from "../nodes/install-source.js";
import type { ModelJob } from "../models/model-jobs.js";
import { followNodeLogs, readNodeLogs } from "../fleet/node-logs.js";
import type { RequestOrigin } from "../scheduling/wait-line.js";
import { inferenceStream, workStream, type CoreStream, type StreamWork } from "./core-stream.js";
import { subscribeToState, type StateFeedOptions } from "./state-feed.js";

/** What the core does for each row of the API table: every transport calls only this. */
export type ApiService = {
  readonly [M in CallName]: (input: ParsedInputOf<M>) => Promise<AnswerOf<M>>;
} & {
  readonly [M in StreamName]: (input: ParsedInputOf<M>) => Promise<CoreStream<EventOf<M>>>;
} & {
  /** The follow form of a call row (`?follow=true`): its stream. */
  readonly [M in FollowName as FollowMethod<M>]: (input: ParsedInputOf<M>) => Promise<CoreStream<FollowEventOf<M>>>;
} & {
  /** The `events` row: snapshots at once, then after each change (or deltas, see StateFeedOptions), until disposed. */
  readonly events: (listener: (event: QueenEvent) => void, options?: StateFeedOptions) => Disposable;
};

/** What a transport uses to start a stream row: the row's method with its `stream_id` tracked. */
export interface StreamOpener {
  openStream<M extends StreamName>(method: M, input: ParsedInputOf<M>): Promise<CoreStream<EventOf<M>>>;
}

export interface QueenServiceOptions {
  readonly log?: ((message: string) => void) | undefined;
  /** Reads the hosts of the user's ssh config; default `~/.ssh/config` (RBEE_SSH_CONFIG). */
  readonly readSshConfig?: typeof readSshConfigHosts | undefined;
  /** How long a cancelled job may take to end on its worker before its stream is cut; default 3 s. */
  readonly cancelGraceMs?: number | undefined;
}

const DEFAULT_CANCEL_GRACE_MS = 3_000;

/** The queen's operations send any stream event; each row's stream carries only its own kinds. */
function narrow<E>(operation: StreamOperation): StreamWork<E> {
  return operation as unknown as StreamWork<E>;
}

/** A download or copy job as a stream: its progress, then the model; the client going away leaves it running. */
function followJob(queen: Queen, job: ModelJob, nodeName: string): StreamWork<ModelStreamEvent> {
  return async (send, signal) => {
    const model = await queen.fleet.models.jobs.follow(job, (progress) => send({ type: "progress", ...progress }), signal);
    if (model) send({ type: "model", node_name: nodeName, model });
  };
}

/**
 * The queen's API on its core: one method per row of the table (src/shared/contract/api.ts), plus
 * the worker callbacks. HTTP routes, IPC handlers and the OpenAI-compatible routes see only this.
 */
export class QueenService implements ApiService, StreamOpener {
  private readonly log: (message: string) => void;
  /** Running inference streams by job id: `cancelInference` takes the same path as a client's cancel. */
  private readonly jobs = new Map<string, CoreStream<StreamEvent>>();
  /** Running streams by the name their client gave them (`?stream_id=`), for `cancelStream`. */
  private readonly named = new Map<string, CoreStream<object>>();

  /** Whether a token is the queen token (checked on every request). */
  private readonly isQueenToken: (token: string) => boolean;

  constructor(
    private readonly queen: Queen,
    private readonly options: QueenServiceOptions = {},
  ) {
    this.log = options.log ?? (() => {});
    this.isQueenToken = secretMatcher(queen.token);
  }

  readonly health = async (): Promise<AnswerOf<"health">> => ({ status: "ok", version: RBEE_VERSION });

  readonly listNodes = async (): Promise<AnswerOf<"listNodes">> => ({ nodes: this.queen.beehives.list() });

  readonly testNode = (input: ParsedInputOf<"testNode">): Promise<AnswerOf<"testNode">> => this.queen.testNode(input);

  readonly addNode = ({ verify, ...node }: ParsedInputOf<"addNode">): Promise<AnswerOf<"addNode">> =>
    this.queen.addNode(node, verify ?? true);

  readonly removeNode = async ({ node_name }: ParsedInputOf<"removeNode">): Promise<AnswerOf<"removeNode">> => {
    await this.queen.removeNode(node_name);
    return { removed: true };
  };

  readonly installNode = async ({ node_name }: ParsedInputOf<"installNode">): Promise<CoreStream<EventOf<"installNode">>> =>
    workStream(narrow<EventOf<"installNode">>(this.queen.installOperation(node_name)), `install ${node_name}`, this.log);

  readonly nodeDevices = ({ node_name }: ParsedInputOf<"nodeDevices">): Promise<AnswerOf<"nodeDevices">> =>
    this.queen.observability.nodeDevices(node_name);

  readonly nodeDefaults = async (): Promise<AnswerOf<"nodeDefaults">> => nodeDefaults(this.queen.installRoot);

  readonly sshConfigHosts = async (): Promise<AnswerOf<"sshConfigHosts">> => ({
    hosts: (this.options.readSshConfig ?? readSshConfigHosts)(),
  });

  readonly modelCatalog = async (): Promise<AnswerOf<"modelCatalog">> => ({ models: [...this.queen.modelCatalog] });

  readonly placementPreview = async ({ model, ctx, slots, backend, nodes }: ParsedInputOf<"placementPreview">): Promise<AnswerOf<"placementPreview">> =>
    (await this.queen.placement.survey({ model, ctx, slots, backend, nodes })).preview;

  readonly listModels = ({ node }: ParsedInputOf<"listModels">): Promise<AnswerOf<"listModels">> => this.queen.fleet.models.list(node);

  readonly downloadModel = async ({ node_name, model_ref }: ParsedInputOf<"downloadModel">): Promise<CoreStream<EventOf<"downloadModel">>> => {
    const job = this.queen.fleet.models.download(node_name, model_ref);
    return workStream(followJob(this.queen, job, node_name), `download of ${model_ref} to ${node_name}`, this.log);
  };

  readonly cancelDownload = async ({ node_name, model_ref }: ParsedInputOf<"cancelDownload">): Promise<AnswerOf<"cancelDownload">> => ({
    cancelled: await this.queen.fleet.models.cancel(node_name, model_ref),
  });

  readonly removeModel = async ({ node_name, model_ref }: ParsedInputOf<"removeModel">): Promise<AnswerOf<"removeModel">> => {
    await this.queen.fleet.models.remove(node_name, model_ref);
    return { removed: true };
  };

  readonly copyModel = async ({ model_ref, from_node, to_node }: ParsedInputOf<"copyModel">): Promise<CoreStream<EventOf<"copyModel">>> => {
    const job = this.queen.fleet.models.copy(model_ref, from_node, to_node);
    return workStream(followJob(this.queen, job, to_node), `copy of ${model_ref} to ${to_node}`, this.log);
  };

  readonly listWorkers = async (): Promise<AnswerOf<"listWorkers">> => ({ workers: this.queen.workers.list() });

  readonly workerExits = async (): Promise<AnswerOf<"workerExits">> => ({ exits: [...this.queen.exits.list()] });

  readonly dismissWorkerExit = async ({ worker_id }: ParsedInputOf<"dismissWorkerExit">): Promise<undefined> => {
    this.queen.exits.dismiss(worker_id);
    return undefined;
  };

  readonly logs = async ({ node, worker, lines }: ParsedInputOf<"logs">): Promise<AnswerOf<"logs">> => ({
    lines: await readNodeLogs(this.queen.fleet.hives, this.queen.beehives.require(node), { worker, lines }),
  });

  readonly followLogs = async ({ node, worker, lines }: ParsedInputOf<"logs">): Promise<CoreStream<FollowEventOf<"logs">>> => {
    const work = await followNodeLogs(this.queen.fleet.hives, this.queen.beehives.require(node), { worker, lines });
    return workStream(work, `logs of ${node}`, this.log);
  };

  readonly spawnWorker = async (input: ParsedInputOf<"spawnWorker">): Promise<CoreStream<EventOf<"spawnWorker">>> =>
    workStream(narrow<EventOf<"spawnWorker">>(this.queen.spawnOperation(input)), `spawn on ${input.node_name}`, this.log);

  readonly stopWorker = async ({ id }: ParsedInputOf<"stopWorker">): Promise<undefined> => {
    await this.queen.stopWorker(id);
    return undefined;
  };

  /** Runs inference; `origin` "api" for the client APIs, whose requests yield to a person's (see the wait line). */
  readonly infer = async (input: ParsedInputOf<"infer">, origin: RequestOrigin = "interactive"): Promise<CoreStream<EventOf<"infer">>> =>
    inferenceStream(narrow<EventOf<"infer">>(this.queen.inferOperation(input, origin)), {
      cancelJob: (jobId) => this.queen.inference.cancel(jobId),
      track: (jobId, stream) => {
        this.jobs.set(jobId, stream);
        return () => this.jobs.delete(jobId);
      },
      graceMs: this.options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS,
    });

  readonly cancelInference = async ({ job_id }: ParsedInputOf<"cancelInference">): Promise<undefined> => {
    const stream = this.jobs.get(job_id);
    if (!stream) throw new RbeeError("JOB_NOT_FOUND", `No running job "${job_id}"`);
    stream.cancel();
    return undefined;
  };

  readonly cancelStream = async ({ stream_id }: ParsedInputOf<"cancelStream">): Promise<undefined> => {
    const stream = this.named.get(stream_id);
    if (!stream) throw new RbeeError("STREAM_NOT_FOUND", `No running stream "${stream_id}"`);
    stream.cancel();
    return undefined;
  };

  /**
   * Opens a stream row for a transport: the row's method, plus its `stream_id` (when the client
   * named it) registered for `cancelStream` until the stream ends.
   */
  async openStream<M extends StreamName>(method: M, input: ParsedInputOf<M>): Promise<CoreStream<EventOf<M>>> {
    const { stream_id, ...work } = input as ParsedInputOf<M> & { readonly stream_id?: string };
    if (stream_id !== undefined && this.named.has(stream_id)) {
      throw new RbeeError("INVALID_REQUEST", `A stream named "${stream_id}" is already running`, [{ field: "stream_id", message: "in use" }]);
    }
    const open = this[method] as unknown as (input: unknown) => Promise<CoreStream<EventOf<M>>>;
    const stream = await open(work);
    if (stream_id === undefined) return stream;
    this.named.set(stream_id, stream as CoreStream<object>);
    return {
      run: (send) => stream.run(send).finally(() => this.named.delete(stream_id)),
      cancel: () => stream.cancel(),
    };
  }

  /**
   * The `events` row. A subscriber keeps the hives' device figures live unless `liveDevices` is
   * false (the tray, which shows none of them, never makes the queen poll the nodes).
   */
  readonly events = (listener: (event: QueenEvent) => void, options: StateFeedOptions = {}): Disposable =>
    subscribeToState(this.queen, listener, options);

  /** `GET /metrics`: the Prometheus exposition. */
  metrics(): Promise<{ readonly contentType: string; readonly text: string }> {
    return this.queen.observability.scrape();
  }

  /** Embeddings on a worker with the model, placed as inference is (`origin` as for `infer`). */
  embed(job: EmbeddingJob, signal: AbortSignal, origin: RequestOrigin = "api"): Promise<WorkerEmbeddingsResponse> {
    return this.queen.inference.embed(job, signal, origin);
  }

  /**
   * The model files the nodes hold, for the client APIs' model lists: the inventories of the nodes
   * whose hive is open, refreshed (each bounded by placement's short deadline).
   */
  async storedModels(): Promise<{ node_name: string; model_ref: string }[]> {
    await this.queen.fleet.models.refreshOpen().catch(() => undefined);
    return this.queen.fleet.models.stored();
  }

  /** The live workers, for the client APIs' model lists. */
  liveWorkers(): readonly RegisteredWorker[] {
    return this.queen.workers.list();
  }

  /** Resolves a bearer token to who presents it: the user, a worker (per-spawn token), or nobody. */
  principalFor(token: string, allowWorkers: boolean): Principal | undefined {
    if (this.isQueenToken(token)) return { kind: "user" };
    const grant = allowWorkers ? this.queen.callbackTokens.resolve(token) : undefined;
    return grant ? { kind: "worker", ...grant } : undefined;
  }

  /** A worker's ready callback: "created" (201) or "same" (200), with the worker as registered. */
  registerWorker(request: RegisterWorkerRequest, principal: Principal): { readonly created: boolean; readonly worker: RegisteredWorker } {
    const outcome = this.queen.registerWorker(request, principal);
    return { created: outcome === "created", worker: this.queen.workers.require(request.worker_id) };
  }

  /** A worker's state report. */
  updateWorker(request: UpdateWorkerRequest, principal: Principal): RegisteredWorker {
    this.queen.assertMayActFor(principal, request.worker_id);
    return this.queen.workers.update(request);
  }

  /** A hive's report that a worker died without being stopped. */
  workerExited(report: WorkerExitReport, principal: Principal): WorkerExit {
    return this.queen.workerExited(report, principal);
  }

  /** A worker's heartbeat. */
  heartbeat(request: HeartbeatRequest, principal: Principal): RegisteredWorker {
    this.queen.assertMayActFor(principal, request.worker_id);
    return this.queen.workers.heartbeat(request);
  }
}
