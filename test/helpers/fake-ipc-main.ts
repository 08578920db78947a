// A stand-in for Electron's ipcMain (the Electron binary cannot run on these machines): the
// handlers the main process registers land in `ipcHandlers`, where tests invoke them. Use it as
//   vi.mock("electron", async () => (await import("../helpers/fake-ipc-main.js")).electronStub);
// It is the fuller test double of Electron in electron-double.ts, under the names older tests use.
import { electronDouble } from "./electron-double.js";

/** Every registered IPC handler by channel. */
export { ipcHandlers } from "./electron-double.js";

/** The `electron` module as the test double provides it (ipcMain among the rest). */
export const electronStub = electronDouble;
