// Zod-free on purpose: the sandboxed preload imports this file and cannot load npm packages.

/** Every method of the renderer's API, in one list the preload can expose one by one. */
export const API_METHOD_NAMES = [
  "health",
  "listNodes",
  "testNode",
  "addNode",
  "removeNode",
  "listWorkers",
  "stopWorker",
  "sshConfigHosts",
  "nodeDevices",
  "cancelInference",
] as const;

export type ApiMethodName = (typeof API_METHOD_NAMES)[number];

/** IPC channel of a method. */
export function ipcChannel(method: ApiMethodName): string {
  return `rbee:${method}`;
}

/** IPC channel on which the main process pushes queen events (the `events` row), to subscribed windows only. */
export const IPC_EVENT_CHANNEL = "rbee:event";
/** IPC channel a window calls to subscribe to queen events: current snapshots come at once. */
export const IPC_SUBSCRIBE_CHANNEL = "rbee:subscribe";

/**
 * Every streaming method: called with its arguments and an event listener, answered with a handle
 * that cancels and a promise that settles when the stream ends.
 */
export const STREAM_METHOD_NAMES = ["infer", "installNode", "spawnWorker"] as const;

export type StreamMethodName = (typeof STREAM_METHOD_NAMES)[number];

/** IPC channel that starts a stream: `(streamId, ...args)` → an IpcOutcome once it is accepted. */
export function ipcStreamChannel(method: StreamMethodName): string {
  return `rbee:stream:${method}`;
}

/** IPC channel on which the main process pushes one stream's messages, to the window that started it only. */
export function ipcStreamEventChannel(streamId: string): string {
  return `rbee:stream-event:${streamId}`;
}

/** IPC channel that cancels a running stream: `(streamId)`. */
export const IPC_STREAM_CANCEL_CHANNEL = "rbee:stream-cancel";
