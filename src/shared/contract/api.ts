import { z } from "zod";
import { ErrorBody } from "./errors.js";
import { HealthResponse, QueenEvent } from "./events.js";
import { InferenceRequest } from "./inference.js";
import { AddNodeRequest, AddNodeResponse, Beehive, NodeName, TestNodeResponse } from "./nodes.js";
import type { ApiMethodName, StreamMethodName } from "./ipc-channels.js";
import { SshConfigHost } from "./ssh-config.js";
import { InstallStreamEvent, SpawnStreamEvent, StreamEvent } from "./streams.js";
import { RegisteredWorker, SpawnWorkerRequest, WorkerId } from "./workers.js";
import { HiveDevices } from "./hive.js";

export * from "./ipc-channels.js";

/**
 * The queen's API as the renderer sees it: one table of named methods with their argument and answer
 * schemas. The HTTP transport (browser) and the IPC transport (Electron preload) both implement it,
 * and the main process validates every IPC call against it.
 */
export const API_METHODS = {
  health: { args: z.tuple([]), result: HealthResponse },
  listNodes: { args: z.tuple([]), result: z.array(Beehive) },
  testNode: { args: z.tuple([AddNodeRequest]), result: TestNodeResponse },
  addNode: { args: z.tuple([AddNodeRequest]), result: AddNodeResponse },
  removeNode: { args: z.tuple([NodeName]), result: z.void() },
  listWorkers: { args: z.tuple([]), result: z.array(RegisteredWorker) },
  stopWorker: { args: z.tuple([WorkerId]), result: z.void() },
  /** The concrete hosts of the queen machine's `~/.ssh/config`, for the Add node form. */
  sshConfigHosts: { args: z.tuple([]), result: z.array(SshConfigHost) },
  nodeDevices: { args: z.tuple([NodeName]), result: HiveDevices },
} as const satisfies Record<ApiMethodName, { args: z.ZodTuple; result: z.ZodType }>;

type Args<M extends ApiMethodName> = z.input<(typeof API_METHODS)[M]["args"]>;
type Result<M extends ApiMethodName> = z.output<(typeof API_METHODS)[M]["result"]>;

/**
 * The streaming methods (SPEC §5): their arguments, and the events their listener receives.
 * `infer` is `POST /v1/inference`, `installNode` `POST /v2/registry/beehives/install`,
 * `spawnWorker` `POST /v1/workers/spawn` (its last event carries the registered worker).
 */
export const STREAM_METHODS = {
  infer: { args: z.tuple([InferenceRequest]), event: StreamEvent },
  installNode: { args: z.tuple([NodeName]), event: InstallStreamEvent },
  spawnWorker: { args: z.tuple([SpawnWorkerRequest]), event: SpawnStreamEvent },
} as const satisfies Record<StreamMethodName, { args: z.ZodTuple; event: z.ZodType }>;

type StreamArgs<M extends StreamMethodName> = z.input<(typeof STREAM_METHODS)[M]["args"]>;
/** The events a streaming method delivers. */
export type StreamEventOf<M extends StreamMethodName> = z.output<(typeof STREAM_METHODS)[M]["event"]>;

/** A running stream. */
export interface StreamHandle {
  /**
   * Stops it: a running inference job is cancelled on its worker (its stream then ends with
   * `end` / `cancelled`), and the stream is dropped if it does not end soon after. Idempotent.
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

/** What a renderer can do with a queen, whatever the transport. */
export type RbeeApi = { readonly [M in ApiMethodName]: (...args: Args<M>) => Promise<Result<M>> } & {
  readonly [M in StreamMethodName]: (
    ...args: [...StreamArgs<M>, onEvent: (event: StreamEventOf<M>) => void]
  ) => StreamHandle;
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
export const IpcStreamId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, "must be 8-64 letters, digits or '-'");

/** What the main process pushes on a stream's own channel: its events, then one `end`. */
export const IpcStreamMessage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("event"), event: z.unknown() }),
  z.object({ kind: z.literal("end") }),
]);
export type IpcStreamMessage = z.infer<typeof IpcStreamMessage>;
