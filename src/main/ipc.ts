import { ipcMain, type IpcMainInvokeEvent, type WebContents } from "electron";
import {
  API_METHODS,
  RbeeError,
  ipcChannel,
  parseOrThrow,
  type ApiMethodName,
  type IpcOutcome,
} from "../shared/contract/index.js";
import { toRbeeError } from "../core/http/errors.js";

/** What each API method does in the main process. */
export type ApiHandlers = { readonly [M in ApiMethodName]: (...args: any[]) => Promise<unknown> | unknown };

/**
 * Registers every API method on its channel through one wrapper: it checks that the sender is our
 * own window showing our own renderer, validates the arguments against the contract, and answers
 * errors as values (Electron would drop their codes).
 */
export function registerApiHandlers(
  handlers: ApiHandlers,
  isTrustedSender: (sender: WebContents, frameUrl: string | undefined) => boolean,
  log: (message: string) => void,
): () => void {
  const methods = Object.keys(API_METHODS) as ApiMethodName[];
  for (const method of methods) {
    ipcMain.handle(ipcChannel(method), async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<IpcOutcome> => {
      try {
        if (!isTrustedSender(event.sender, event.senderFrame?.url)) {
          log(`IPC ${method} refused: untrusted sender ${event.senderFrame?.url ?? "(gone)"}`);
          throw new RbeeError("UNAUTHORIZED", "This window may not call the rbee API");
        }
        const parsed = parseOrThrow(API_METHODS[method].args, args, `${method} arguments`) as unknown[];
        return { ok: true, value: await handlers[method](...parsed) };
      } catch (error) {
        const rbeeError = toRbeeError(error);
        if (rbeeError.code === "INTERNAL") log(`IPC ${method}: ${(error as Error)?.stack ?? String(error)}`);
        return { ok: false, error: rbeeError.toBody().error };
      }
    });
  }
  return () => {
    for (const method of methods) ipcMain.removeHandler(ipcChannel(method));
  };
}
