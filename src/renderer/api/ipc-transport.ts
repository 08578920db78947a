import type { z } from "zod";
import { API_METHODS, STREAM_METHODS, type RbeeApi, type StreamEventOf, type StreamHandle } from "../../shared/contract/api.js";
import type { StreamMethodName } from "../../shared/contract/ipc-channels.js";
import { ErrorBody, RbeeError } from "../../shared/contract/errors.js";
import { QueenEvent } from "../../shared/contract/events.js";

/**
 * The RbeeApi over the Electron preload bridge (`window.rbee`). The bridge already speaks the
 * contract; this wrapper turns what crosses the context bridge back into real RbeeErrors and
 * validates answers and events, since nothing that crosses a boundary is trusted blindly.
 */
export function createIpcApi(bridge: RbeeApi): RbeeApi {
  async function call<S extends z.ZodType>(schema: S, invoke: () => Promise<unknown>): Promise<z.output<S>> {
    let value: unknown;
    try {
      value = await invoke();
    } catch (error) {
      throw toRbeeError(error);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new RbeeError("INTERNAL", "The app sent an answer the window does not understand.");
    return parsed.data;
  }

  return {
    health: () => call(API_METHODS.health.result, () => bridge.health()),
    listNodes: () => call(API_METHODS.listNodes.result, () => bridge.listNodes()),
    testNode: (node) => call(API_METHODS.testNode.result, () => bridge.testNode(node)),
    addNode: (node) => call(API_METHODS.addNode.result, () => bridge.addNode(node)),
    removeNode: (name) => call(API_METHODS.removeNode.result, () => bridge.removeNode(name)),
    listWorkers: () => call(API_METHODS.listWorkers.result, () => bridge.listWorkers()),
    stopWorker: (id) => call(API_METHODS.stopWorker.result, () => bridge.stopWorker(id)),
    sshConfigHosts: () => call(API_METHODS.sshConfigHosts.result, () => bridge.sshConfigHosts()),
    nodeDevices: (name) => call(API_METHODS.nodeDevices.result, () => bridge.nodeDevices(name)),
    infer: (request, onEvent) => stream("infer", onEvent, (onRaw) => bridge.infer(request, onRaw)),
    installNode: (name, onEvent) => stream("installNode", onEvent, (onRaw) => bridge.installNode(name, onRaw)),
    spawnWorker: (spawn, onEvent) => stream("spawnWorker", onEvent, (onRaw) => bridge.spawnWorker(spawn, onRaw)),
    onEvent(listener) {
      return bridge.onEvent((event) => {
        const parsed = QueenEvent.safeParse(event);
        if (parsed.success) listener(parsed.data);
        else console.warn("rbee: ignored an event that does not match the contract", parsed.error.issues);
      });
    },
  };
}

/** Validates each event of a bridged stream, and turns its refusals back into RbeeErrors. */
function stream<M extends StreamMethodName>(
  method: M,
  onEvent: (event: StreamEventOf<M>) => void,
  start: (onRaw: (event: any) => void) => StreamHandle,
): StreamHandle {
  const schema: z.ZodType<StreamEventOf<M>> = STREAM_METHODS[method].event as never;
  let handle: StreamHandle;
  try {
    handle = start((raw: unknown) => {
      const parsed = schema.safeParse(raw);
      if (parsed.success) onEvent(parsed.data);
      else console.warn(`rbee: ignored a ${method} event that does not match the contract`, parsed.error.issues);
    });
  } catch (error) {
    return { cancel: () => undefined, done: Promise.reject(toRbeeError(error)) };
  }
  return {
    cancel: () => handle.cancel(),
    done: Promise.resolve(handle.done).catch((error: unknown) => {
      throw toRbeeError(error);
    }),
  };
}

/** Rebuilds an RbeeError from whatever the bridge rejected with ({code, message, details} or an Error). */
export function toRbeeError(error: unknown): RbeeError {
  if (error instanceof RbeeError) return error;
  const body = ErrorBody.safeParse({ error });
  if (body.success) return RbeeError.fromBody(body.data, body.data.error.message);
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "Unexpected error";
  return new RbeeError("INTERNAL", message);
}
