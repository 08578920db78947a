// A stand-in for Electron's ipcMain (the Electron binary cannot run on these machines): the
// handlers the main process registers land in `ipcHandlers`, where tests invoke them. Use it as
//   vi.mock("electron", async () => (await import("../helpers/fake-ipc-main.js")).electronStub);
/** Every registered IPC handler by channel. */
export const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();

/** The part of the `electron` module the main process's IPC glue uses. */
export const electronStub = {
  ipcMain: {
    handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) => ipcHandlers.set(channel, handler),
    removeHandler: (channel: string) => ipcHandlers.delete(channel),
  },
};
