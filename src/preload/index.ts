// The renderer's only door to the main process: named methods and one event subscription,
// never a raw ipcRenderer (STYLE.md 4).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
// The table is bundled in (zod included): a sandboxed preload cannot load npm packages.
import {
  API_METHOD_NAMES,
  FOLLOW_METHOD_NAMES,
  STREAM_METHOD_NAMES,
  followMethodName,
  type CallName,
  type FollowMethod,
  type IpcOutcome,
  type IpcStreamMessage,
  type StreamName,
} from "../shared/contract/api.js";
import type { QueenEvent } from "../shared/contract/events.js";
import {
  IPC_EVENT_CHANNEL,
  IPC_STREAM_CANCEL_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  ipcChannel,
  ipcStreamChannel,
  ipcStreamEventChannel,
} from "../shared/contract/ipc-channels.js";

async function call(method: CallName, args: unknown[]): Promise<unknown> {
  const outcome = (await ipcRenderer.invoke(ipcChannel(method), ...args)) as IpcOutcome;
  // A plain object survives the context bridge with its code and details; an Error would not.
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * Starts a stream: listens on its own channel first (so no event can be missed), then asks the
 * main process to start it. `done` settles on the stream's `end` message, or when the call is refused.
 */
function stream(method: StreamName | FollowMethod, args: unknown[]): { cancel: () => void; done: Promise<void> } {
  const onEvent = args.pop();
  if (typeof onEvent !== "function") throw { code: "INVALID_REQUEST", message: `${method} needs an event listener` };
  const streamId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  const channel = ipcStreamEventChannel(streamId);
  let resolveDone!: () => void;
  let rejectDone!: (reason: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const handler = (_event: IpcRendererEvent, message: IpcStreamMessage): void => {
    if (message.kind === "event") {
      onEvent(message.event);
      return;
    }
    ipcRenderer.removeListener(channel, handler);
    resolveDone();
  };
  const refuse = (error: unknown): void => {
    ipcRenderer.removeListener(channel, handler);
    rejectDone(error);
  };
  ipcRenderer.on(channel, handler);
  ipcRenderer.invoke(ipcStreamChannel(method), streamId, ...args).then((outcome: IpcOutcome) => {
    if (!outcome.ok) refuse(outcome.error);
  }, refuse);
  return {
    cancel: () => void ipcRenderer.invoke(IPC_STREAM_CANCEL_CHANNEL, streamId).catch(() => undefined),
    done,
  };
}

const api: Record<string, unknown> = {
  onEvent(listener: (event: QueenEvent) => void): () => void {
    const handler = (_event: IpcRendererEvent, payload: QueenEvent): void => listener(payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    void ipcRenderer.invoke(IPC_SUBSCRIBE_CHANNEL);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
};
for (const method of API_METHOD_NAMES) {
  api[method] = (...args: unknown[]) => call(method, args);
}
for (const method of STREAM_METHOD_NAMES) {
  api[method] = (...args: unknown[]) => stream(method, args);
}
for (const method of FOLLOW_METHOD_NAMES) {
  const follow = followMethodName(method);
  api[follow] = (...args: unknown[]) => stream(follow, args);
}

contextBridge.exposeInMainWorld("rbee", api);
