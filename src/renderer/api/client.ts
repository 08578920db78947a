import type { z } from "zod";
import {
  API,
  followMethodName,
  parseInput,
  splitInput,
  type ApiEntry,
  type CallName,
  type FollowName,
  type MethodName,
  type RbeeApi,
  type StreamHandle,
  type StreamName,
  type Unsubscribe,
} from "../../shared/contract/api.js";
import { RbeeError } from "../../shared/contract/errors.js";
import { QueenEvent } from "../../shared/contract/events.js";

/**
 * How one transport (HTTP in a browser, IPC in the desktop app) carries the table's methods. It
 * moves raw values only: the client built on it validates inputs, answers and events.
 */
export interface Transport {
  /** Answers the raw value, or rejects with an RbeeError. */
  readonly call: (method: CallName, input: unknown) => Promise<unknown>;
  /** A stream row, or a call row's follow form (its input then has `follow: true`). */
  readonly stream: (method: StreamName | FollowName, input: unknown, onRaw: (event: unknown) => void) => StreamHandle;
  readonly subscribe: (onRaw: (event: unknown) => void) => Unsubscribe;
}

function validated<S extends z.ZodType>(schema: S, onValue: (value: z.output<S>) => void, what: string): (raw: unknown) => void {
  return (raw) => {
    const parsed = schema.safeParse(raw);
    if (parsed.success) onValue(parsed.data);
    else console.warn(`rbee: ignored ${what} that does not match the contract`, parsed.error.issues);
  };
}

/** Checks the input against the row before anything is sent (a bad one is INVALID_REQUEST); defaults applied. */
function checkInput(method: MethodName, input: unknown): unknown {
  return parseInput(method, splitInput(API[method], input ?? {}));
}

/** The RbeeApi over `transport`, one method per row of the API table. */
export function createClient(transport: Transport): RbeeApi {
  const api: Record<string, unknown> = {};
  for (const [method, entry] of Object.entries(API) as [MethodName, ApiEntry][]) {
    switch (entry.kind) {
      case "call":
        api[method] = async (input: unknown): Promise<unknown> => {
          const answer = await transport.call(method as CallName, checkInput(method, input));
          const parsed = entry.answer.safeParse(answer);
          if (!parsed.success) throw new RbeeError("INTERNAL", `The queen sent an answer this app does not understand (${method}).`);
          return parsed.data;
        };
        if (entry.follow) {
          const events = entry.follow;
          api[followMethodName(method as FollowName)] = (input: unknown, onEvent: (event: unknown) => void): StreamHandle => {
            let checked: unknown;
            try {
              checked = checkInput(method, { ...(input as object), follow: true });
            } catch (error) {
              return { cancel: () => undefined, done: Promise.reject(error) };
            }
            return transport.stream(method as FollowName, checked, validated(events, onEvent, `a ${method} event`));
          };
        }
        break;
      case "stream":
        api[method] = (input: unknown, onEvent: (event: unknown) => void): StreamHandle => {
          let checked: unknown;
          try {
            checked = checkInput(method, input);
          } catch (error) {
            return { cancel: () => undefined, done: Promise.reject(error) };
          }
          return transport.stream(method as StreamName, checked, validated(entry.events, onEvent, `a ${method} event`));
        };
        break;
      case "subscription":
        api.onEvent = (listener: (event: QueenEvent) => void): Unsubscribe =>
          transport.subscribe(validated(QueenEvent, listener, "an event"));
        break;
    }
  }
  return api as RbeeApi;
}
