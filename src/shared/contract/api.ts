import { z } from "zod";
import { ErrorBody, RbeeError, parseOrThrow } from "./errors.js";
import { HealthResponse, QueenEvent } from "./events.js";
import {
  CancelDownloadResponse,
  CopyModelRequest,
  ListModelsQuery,
  ListModelsResponse,
  ModelStreamEvent,
  NodeModelRequest,
  RemoveModelResponse,
} from "./fleet-models.js";
import { HiveDevices } from "./hive.js";
import { PlacementPreviewQuery, PlacementPreviewResponse } from "./engines.js";
import { InferenceRequest, JobId } from "./inference.js";
import { LogLineCount, LogStreamEvent, LogsResponse, WorkerExitsResponse } from "./logs.js";
import { ModelCatalogResponse } from "./model-catalog.js";
import {
  AddNodeRequest,
  NodeName,
  SshNodeRequest,
  NodeDefaultsResponse,
  AddNodeResponse,
  ListNodesResponse,
  NodeNameRequest,
  RemoveNodeResponse,
  TestNodeResponse,
} from "./nodes.js";
import { SshConfigHostsResponse } from "./ssh-config.js";
import { InstallStreamEvent, SpawnStreamEvent, StreamEvent } from "./streams.js";
import { ListWorkersResponse, SpawnWorkerRequest, WorkerId } from "./workers.js";


/** The HTTP verbs the API uses. */
export type HttpVerb = "GET" | "POST" | "DELETE";

/** An answer without a body (HTTP 204; `undefined` over IPC). */
export const NoContent = z.undefined();

/** A boolean in a query string (`?verify=false`), or a real boolean over IPC. */
export const QueryBoolean = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** The name a client gives a stream it starts (random, 8-64 letters, digits or '-'). */
export const StreamId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, "must be 8-64 letters, digits or '-'");

/** The query every stream row takes. */
export const StreamQuery = z.strictObject({ stream_id: StreamId.optional() });

/** A method that answers once. `params` name the `{placeholders}` of `path`; `query` the query string. */
export interface CallEntry {
  readonly kind: "call";
  readonly verb: HttpVerb;
  readonly path: string;
  readonly summary: string;
  readonly params?: AnyObject;
  readonly query?: AnyObject;
  readonly body?: z.ZodType;
  readonly answer: z.ZodType;
  /** HTTP status of a success; default 200 (204 for NoContent). */
  readonly status?: number;
  /** "none": answered without the token (only `/health`). */
  readonly auth?: "none";
  /**
   * The events of its `?follow=true` form (a GET whose query has `follow`): then, instead of the
   * answer, an event stream of these until the client goes away (like `tail -f`). Clients call
   * that form as its own method, `follow<Name>` (see followMethodName).
   */
  readonly follow?: z.ZodType;
}

/** A method whose answer is an event stream, ending with `data: [DONE]`. */
export interface StreamEntry {
  readonly kind: "stream";
  readonly verb: "POST";
  readonly path: string;
  readonly summary: string;
  /** `stream_id`: a name the client gives the stream so that `cancelStream` can cancel it. */
  readonly query: typeof StreamQuery;
  readonly body: z.ZodType;
  readonly events: z.ZodType;
}

/** The live state feed: snapshots on subscribe, then after each change. */
export interface SubscriptionEntry {
  readonly kind: "subscription";
  readonly verb: "GET";
  readonly path: string;
  readonly summary: string;
  readonly query?: AnyObject;
  readonly events: z.ZodType;
}

export type ApiEntry = CallEntry | StreamEntry | SubscriptionEntry;

/**
 * The queen's API, one row per method (docs/api.md is generated from it): its HTTP verb and path, its request and its
 * answer or events. The HTTP routes, the IPC channels and handlers, the renderer's and rbee-keeper's
 * clients and `GET /openapi.json` are all built from these rows; the types come from them too.
 */
export const API = {
  health: { kind: "call", verb: "GET", path: "/health", summary: "Liveness and version of the queen", answer: HealthResponse, auth: "none" },
  listNodes: { kind: "call", verb: "GET", path: "/v2/registry/beehives/list", summary: "Every registered node", answer: ListNodesResponse },
  testNode: {
    kind: "call",
    verb: "POST",
    path: "/v2/registry/beehives/test",
    summary: "Connects to a would-be node and reports its host key, storing nothing",
    body: SshNodeRequest,
    answer: TestNodeResponse,
  },
  addNode: {
    kind: "call",
    verb: "POST",
    path: "/v2/registry/beehives/add",
    summary: "Adds a node after proving SSH works (trust on first use); `verify=false` stores it unchecked; `transport: \"local\"` adds this computer (no SSH, no git)",
    query: z.strictObject({ verify: QueryBoolean.optional() }),
    body: AddNodeRequest,
    answer: AddNodeResponse,
    status: 201,
  },
  removeNode: {
    kind: "call",
    verb: "POST",
    path: "/v2/registry/beehives/remove",
    summary: "Stops the node's workers and hive, then forgets it",
    body: NodeNameRequest,
    answer: RemoveNodeResponse,
  },
  installNode: {
    kind: "stream",
    verb: "POST",
    path: "/v2/registry/beehives/install",
    summary: "Installs or updates rbee on a node and starts its hive, streaming progress",
    query: StreamQuery,
    body: NodeNameRequest,
    events: InstallStreamEvent,
  },
  nodeDevices: {
    kind: "call",
    verb: "GET",
    path: "/v2/registry/beehives/devices",
    summary: "Backends, GPUs, RAM and VRAM of a node, as its hive reports them",
    query: NodeNameRequest,
    answer: HiveDevices,
  },
  nodeDefaults: {
    kind: "call",
    verb: "GET",
    path: "/v2/registry/beehives/defaults",
    summary: "Where new nodes install rbee from by default: this installation's git origin, or the repository package.json names",
    answer: NodeDefaultsResponse,
  },
  sshConfigHosts: {
    kind: "call",
    verb: "GET",
    path: "/v2/registry/ssh-config",
    summary: "The concrete hosts of the queen user's ~/.ssh/config, for the Add node form",
    answer: SshConfigHostsResponse,
  },
  modelCatalog: {
    kind: "call",
    verb: "GET",
    path: "/v2/models/catalog",
    summary: "The models the UI offers to start with, each with its size when known (the built-in catalog, or the RBEE_MODEL_CATALOG file's)",
    answer: ModelCatalogResponse,
  },
  listModels: {
    kind: "call",
    verb: "GET",
    path: "/v2/models/list",
    summary: "Every node's model files (size, sha256 when known, the workers using each) and free disk; an unreachable node is listed with `error`, never waited for",
    query: ListModelsQuery,
    answer: ListModelsResponse,
  },
  downloadModel: {
    kind: "stream",
    verb: "POST",
    path: "/v2/models/download",
    summary: "Downloads a model to a node (resuming a partial file), streaming progress; it keeps going when the client goes away and shows in `/v1/events` `downloads`",
    query: StreamQuery,
    body: NodeModelRequest,
    events: ModelStreamEvent,
  },
  cancelDownload: {
    kind: "call",
    verb: "POST",
    path: "/v2/models/cancel",
    summary: "Stops a running download on a node; the partial file stays for a later resume",
    body: NodeModelRequest,
    answer: CancelDownloadResponse,
  },
  removeModel: {
    kind: "call",
    verb: "POST",
    path: "/v2/models/remove",
    summary: "Deletes a model file from a node's models folder: 409 `MODEL_IN_USE` while a worker has it loaded",
    body: NodeModelRequest,
    answer: RemoveModelResponse,
  },
  copyModel: {
    kind: "stream",
    verb: "POST",
    path: "/v2/models/copy",
    summary: "Copies a model file from one node to another over the queen's connections (the nodes need not reach each other), resuming a broken copy; sha256 verified on arrival",
    query: StreamQuery,
    body: CopyModelRequest,
    events: ModelStreamEvent,
  },
  placementPreview: {
    kind: "call",
    verb: "GET",
    path: "/v2/placement/preview",
    summary:
      "Where the queen would run a model and why: one node, or split across nodes (llama.cpp RPC) with the bytes each holds when it fits no single node's free memory; `placement` null and `reason` when it fits nowhere",
    query: PlacementPreviewQuery,
    answer: PlacementPreviewResponse,
  },
  listWorkers: { kind: "call", verb: "GET", path: "/v1/workers/list", summary: "Every live worker", answer: ListWorkersResponse },
  workerExits: {
    kind: "call",
    verb: "GET",
    path: "/v1/workers/exits",
    summary: "Workers that died without being stopped (exit code or signal, their last log lines), newest first, until dismissed",
    answer: WorkerExitsResponse,
  },
  dismissWorkerExit: {
    kind: "call",
    verb: "DELETE",
    path: "/v1/workers/exits/{worker_id}",
    summary: "Forgets one worker's exit (the user has read it)",
    params: z.strictObject({ worker_id: WorkerId }),
    answer: NoContent,
  },
  logs: {
    kind: "call",
    verb: "GET",
    path: "/v2/logs",
    summary:
      "The last `lines` lines (default 200, at most 10,000) of a node's hive log, or of one of its workers' logs (running, or kept after it stopped); with `follow=true` an event stream of those lines and then each new one (a worker's ends when it exits)",
    query: z.strictObject({
      node: NodeName,
      worker: WorkerId.optional(),
      lines: LogLineCount.optional(),
      follow: QueryBoolean.optional(),
    }),
    answer: LogsResponse,
    follow: LogStreamEvent,
  },
  spawnWorker: {
    kind: "stream",
    verb: "POST",
    path: "/v1/workers/spawn",
    summary: "Spawns a worker on a node, streaming progress; ends with the registered worker",
    query: StreamQuery,
    body: SpawnWorkerRequest,
    events: SpawnStreamEvent,
  },
  stopWorker: {
    kind: "call",
    verb: "DELETE",
    path: "/v1/workers/{id}",
    summary: "Stops a worker's process on its node and removes it",
    params: z.strictObject({ id: WorkerId }),
    answer: NoContent,
  },
  infer: {
    kind: "stream",
    verb: "POST",
    path: "/v1/inference",
    summary: "Runs a prompt or a conversation on the fleet, streaming tokens",
    query: StreamQuery,
    body: InferenceRequest,
    events: StreamEvent,
  },
  cancelInference: {
    kind: "call",
    verb: "DELETE",
    path: "/v1/inference/{job_id}",
    summary: "Cancels a running job: its stream ends with `end` / `cancelled`",
    params: z.strictObject({ job_id: JobId }),
    answer: NoContent,
  },
  cancelStream: {
    kind: "call",
    verb: "DELETE",
    path: "/v1/streams/{stream_id}",
    summary: "Cancels a stream started with `?stream_id=`: an inference job is cancelled on its worker and its stream ends with `end` / `cancelled`; other work stops",
    params: z.strictObject({ stream_id: StreamId }),
    answer: NoContent,
  },
  events: {
    kind: "subscription",
    verb: "GET",
    path: "/v1/events",
    summary:
      "Snapshots of nodes, workers and running downloads on connect and after each change (with `deltas=1`, after the first snapshots a `worker`, `node` or `download` delta per changed item instead of their lists)",
    query: z.strictObject({ deltas: z.enum(["1", "0", "true", "false"]).transform((value) => value === "1" || value === "true").optional() }),
    events: QueenEvent,
  },
} as const satisfies Record<string, ApiEntry>;

export type Api = typeof API;
export type MethodName = keyof Api;
/** Methods that answer once. */
export type CallName = { [M in MethodName]: Api[M] extends CallEntry ? M : never }[MethodName];
/** Methods whose answer is a stream of events. */
export type StreamName = { [M in MethodName]: Api[M] extends StreamEntry ? M : never }[MethodName];

/** Call methods that also have a `?follow=true` form (see CallEntry.follow). */
export type FollowName = { [M in MethodName]: Api[M] extends { readonly follow: z.ZodType } ? M : never }[MethodName];
/** The client method of a row's follow form: `logs` → `followLogs`. */
export type FollowMethod<M extends FollowName = FollowName> = `follow${Capitalize<M>}`;

/** The client method name of a row's follow form. */
export function followMethodName<M extends FollowName>(method: M): FollowMethod<M> {
  return `follow${method.charAt(0).toUpperCase()}${method.slice(1)}` as FollowMethod<M>;
}

/** The rows that answer once, by name: what the preload exposes one by one. */
export const API_METHOD_NAMES = (Object.keys(API) as MethodName[]).filter((method): method is CallName => API[method].kind === "call");
/** The rows that stream, by name. */
export const STREAM_METHOD_NAMES = (Object.keys(API) as MethodName[]).filter((method): method is StreamName => API[method].kind === "stream");
/** The rows with a follow form, by name. */
export const FOLLOW_METHOD_NAMES = (Object.keys(API) as MethodName[]).filter(
  (method): method is FollowName => "follow" in API[method] && (API[method] as CallEntry).follow !== undefined,
);

type Part<E, K extends string> = E extends { readonly [P in K]: infer S extends z.ZodType } ? S : undefined;
type InputOfPart<S> = S extends z.ZodType ? z.input<S> : unknown;
type OutputOfPart<S> = S extends z.ZodType ? z.output<S> : unknown;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** What a caller passes to a method: its path parameters, query and body fields in one object. */
export type InputOf<M extends MethodName> = Simplify<
  InputOfPart<Part<Api[M], "params">> & InputOfPart<Part<Api[M], "query">> & InputOfPart<Part<Api[M], "body">>
>;
/** The same after validation (defaults applied): what the core receives. */
export type ParsedInputOf<M extends MethodName> = Simplify<
  OutputOfPart<Part<Api[M], "params">> & OutputOfPart<Part<Api[M], "query">> & OutputOfPart<Part<Api[M], "body">>
>;
/** What a call method answers. */
export type AnswerOf<M extends CallName> = z.output<Api[M]["answer"]>;
/** What a stream method delivers. */
export type EventOf<M extends StreamName> = z.output<Api[M]["events"]>;
/** What a row's follow form delivers. */
export type FollowEventOf<M extends FollowName> = z.output<Api[M]["follow"]>;
/** What a caller passes to a row's follow form (its `follow` flag is implied). */
export type FollowInputOf<M extends FollowName> = Omit<InputOf<M>, "follow">;

/** The three places a method's input travels over HTTP. */
export interface InputParts {
  readonly params: Record<string, unknown>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
}

function keysOf(schema: AnyObject | undefined): string[] {
  return schema ? Object.keys(schema.shape) : [];
}

/** Splits a caller's input into path parameters, query and body by the method's row. */
export function splitInput(entry: ApiEntry, input: unknown): InputParts {
  const all: Record<string, unknown> = input !== null && typeof input === "object" ? { ...(input as Record<string, unknown>) } : {};
  const take = (keys: string[]): Record<string, unknown> => {
    const part: Record<string, unknown> = {};
    for (const key of keys) {
      if (key in all) part[key] = all[key];
      delete all[key];
    }
    return part;
  };
  const params = take(keysOf("params" in entry ? entry.params : undefined));
  const query = take(keysOf("query" in entry ? entry.query : undefined));
  const hasBody = "body" in entry && entry.body !== undefined;
  return { params, query, body: hasBody ? all : undefined };
}

/** Validates each part of an input against the row and joins them: what the core method gets. */
export function parseInput<M extends MethodName>(method: M, parts: InputParts): ParsedInputOf<M> {
  const entry: ApiEntry = API[method];
  const parse = (schema: z.ZodType | undefined, value: unknown, what: string): Record<string, unknown> => {
    if (!schema) {
      if (value !== undefined && !(typeof value === "object" && value !== null && Object.keys(value).length === 0)) {
        throw new RbeeError("INVALID_REQUEST", `${method} takes no ${what}`);
      }
      return {};
    }
    return parseOrThrow(schema, value, what) as Record<string, unknown>;
  };
  const params = parse("params" in entry ? entry.params : undefined, parts.params, "path parameters");
  const query = parse("query" in entry ? entry.query : undefined, parts.query, "query");
  const body = parse("body" in entry ? entry.body : undefined, parts.body ?? ("body" in entry && entry.body ? {} : undefined), "request body");
  return { ...body, ...query, ...params } as ParsedInputOf<M>;
}

/** The concrete path of a call: `{placeholders}` filled from its parameters, percent-encoded. */
export function fillPath(path: string, params: Record<string, unknown>): string {
  return path.replace(/\{([a-z_]+)\}/g, (_match, name: string) => encodeURIComponent(String(params[name] ?? "")));
}

/** A running stream, whatever the transport. */
export interface StreamHandle {
  /**
   * Stops it: a running inference job is cancelled on its worker (its stream then ends with
   * `end` / `cancelled` where the link still stands); other work is aborted. Idempotent.
   */
  readonly cancel: () => void;
  /**
   * Settles once the stream is over: resolves after its last event (also after a cancel); rejects
   * with an RbeeError when the request is refused before streaming or the link drops midway.
   * An `error` event is an event, not a rejection.
   */
  readonly done: Promise<void>;
}

/** Unsubscribes a listener. */
export type Unsubscribe = () => void;

/** What a renderer or a script can do with a queen, whatever the transport: one method per row. */
export type RbeeApi = { readonly [M in CallName]: (input: InputOf<M>) => Promise<AnswerOf<M>> } & {
  readonly [M in StreamName]: (input: InputOf<M>, onEvent: (event: EventOf<M>) => void) => StreamHandle;
} & {
  readonly [M in FollowName as FollowMethod<M>]: (input: FollowInputOf<M>, onEvent: (event: FollowEventOf<M>) => void) => StreamHandle;
} & {
  /** Receives a snapshot on subscribe and after every change. */
  readonly onEvent: (listener: (event: QueenEvent) => void) => Unsubscribe;
};

/** What every IPC handler answers: errors travel as values because Electron drops custom fields. */
export const IpcOutcome = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorBody.shape.error }),
]);
export type IpcOutcome = z.infer<typeof IpcOutcome>;

/** The id a window gives each stream it starts over IPC (the preload makes it; the main process checks it). */
export const IpcStreamId = StreamId;

/** What the main process pushes on a stream's own channel: its events, then one `end`. */
export const IpcStreamMessage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("event"), event: z.unknown() }),
  z.object({ kind: z.literal("end") }),
]);
export type IpcStreamMessage = z.infer<typeof IpcStreamMessage>;
