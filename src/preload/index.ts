// The renderer's only door to the main process: named methods and one event subscription,
// never a raw ipcRenderer (STYLE.md 4).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import {
  API_METHOD_NAMES,
  IPC_EVENT_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  ipcChannel,
  type ApiMethodName,
} from "../shared/contract/ipc-channels.js";
import type { IpcOutcome, QueenEvent } from "../shared/contract/index.js";

async function call(method: ApiMethodName, args: unknown[]): Promise<unknown> {
  const outcome = (await ipcRenderer.invoke(ipcChannel(method), ...args)) as IpcOutcome;
  // A plain object survives the context bridge with its code and details; an Error would not.
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
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

contextBridge.exposeInMainWorld("rbee", api);
