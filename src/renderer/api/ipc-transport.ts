import { API, followMethodName, type FollowName, type RbeeApi, type StreamHandle } from "../../shared/contract/api.js";
import { ErrorBody, RbeeError } from "../../shared/contract/errors.js";
import { createClient, type Transport } from "./client.js";

/** What the Electron preload exposes as `window.rbee`: the table's method names, raw values. */
export type RbeeBridge = Record<string, (...args: any[]) => any>;

/** Rebuilds an RbeeError from whatever the bridge rejected with ({code, message, details} or an Error). */
export function toRbeeError(error: unknown): RbeeError {
  if (error instanceof RbeeError) return error;
  const body = ErrorBody.safeParse({ error });
  if (body.success) return RbeeError.fromBody(body.data, body.data.error.message);
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "Unexpected error";
  return new RbeeError("INTERNAL", message);
}

/** The IPC transport: the preload bridge, with its refusals turned back into RbeeErrors. */
export function createIpcTransport(bridge: RbeeBridge): Transport {
  return {
    async call(method, input) {
      try {
        return await bridge[method]!(input);
      } catch (error) {
        throw toRbeeError(error);
      }
    },
    stream(method, input, onRaw) {
      let handle: StreamHandle;
      try {
        const name = API[method].kind === "call" ? followMethodName(method as FollowName) : method;
        handle = bridge[name]!(input, onRaw) as StreamHandle;
      } catch (error) {
        return { cancel: () => undefined, done: Promise.reject(toRbeeError(error)) };
      }
      return {
        cancel: () => handle.cancel(),
        done: Promise.resolve(handle.done).catch((error: unknown) => {
          throw toRbeeError(error);
        }),
      };
    },
    subscribe: (onRaw) => bridge.onEvent!(onRaw) as () => void,
  };
}

/**
 * The RbeeApi over the Electron preload bridge (`window.rbee`). The bridge already speaks the
 * contract; the client validates answers and events, since nothing that crosses a boundary is trusted blindly.
 */
export function createIpcApi(bridge: RbeeBridge): RbeeApi {
  return createClient(createIpcTransport(bridge));
}
