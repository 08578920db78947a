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
] as const;

export type ApiMethodName = (typeof API_METHOD_NAMES)[number];

/** IPC channel of a method. */
export function ipcChannel(method: ApiMethodName): string {
  return `rbee:${method}`;
}

/** IPC channel on which the main process pushes queen events. */
export const IPC_EVENT_CHANNEL = "rbee:event";
/** IPC channel the renderer calls to receive current snapshots again. */
export const IPC_SUBSCRIBE_CHANNEL = "rbee:subscribe";
