import { z } from "zod";
import { ErrorBody } from "./errors.js";
import { HealthResponse, QueenEvent } from "./events.js";
import { AddNodeRequest, AddNodeResponse, Beehive, NodeName, TestNodeResponse } from "./nodes.js";
import type { ApiMethodName } from "./ipc-channels.js";
import { RegisteredWorker, WorkerId } from "./workers.js";

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
} as const satisfies Record<ApiMethodName, { args: z.ZodTuple; result: z.ZodType }>;

type Args<M extends ApiMethodName> = z.input<(typeof API_METHODS)[M]["args"]>;
type Result<M extends ApiMethodName> = z.output<(typeof API_METHODS)[M]["result"]>;

/** Unsubscribes a listener. */
export type Unsubscribe = () => void;

/** What a renderer can do with a queen, whatever the transport. */
export type RbeeApi = { readonly [M in ApiMethodName]: (...args: Args<M>) => Promise<Result<M>> } & {
  /** Receives a snapshot on subscribe and after every change. */
  readonly onEvent: (listener: (event: QueenEvent) => void) => Unsubscribe;
};

/** What every IPC handler answers: errors travel as values because Electron drops custom fields. */
export const IpcOutcome = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorBody.shape.error }),
]);
export type IpcOutcome = z.infer<typeof IpcOutcome>;
