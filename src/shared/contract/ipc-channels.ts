// The IPC channel names of the API table's rows (src/shared/contract/api.ts).

import type { CallName, FollowMethod, StreamName } from "./api.js";

/** IPC channel of a method. */
export function ipcChannel(method: CallName): string {
  return `rbee:${method}`;
}

/** IPC channel on which the main process pushes queen events (the `events` row), to subscribed windows only. */
export const IPC_EVENT_CHANNEL = "rbee:event";
/** IPC channel a window calls to subscribe to queen events: current snapshots come at once. */
export const IPC_SUBSCRIBE_CHANNEL = "rbee:subscribe";

/** IPC channel that starts a stream (a stream row, or a call row's follow form): `(streamId, ...args)` → an IpcOutcome once it is accepted. */
export function ipcStreamChannel(method: StreamName | FollowMethod): string {
  return `rbee:stream:${method}`;
}

/** IPC channel on which the main process pushes one stream's messages, to the window that started it only. */
export function ipcStreamEventChannel(streamId: string): string {
  return `rbee:stream-event:${streamId}`;
}

/** IPC channel that cancels a running stream: `(streamId)`. */
export const IPC_STREAM_CANCEL_CHANNEL = "rbee:stream-cancel";
