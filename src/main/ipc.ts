import { ipcMain, type IpcMainInvokeEvent, type WebContents } from "electron";
import {
  API_METHODS,
  IPC_STREAM_CANCEL_CHANNEL,
  IpcStreamId,
  RbeeError,
  STREAM_METHODS,
  StartedEvent,
  ipcChannel,
  ipcStreamChannel,
  ipcStreamEventChannel,
  parseOrThrow,
  type ApiMethodName,
  type IpcOutcome,
  type IpcStreamMessage,
  type StreamMethodName,
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

/**
 * What each streaming method does in the main process, in two steps like its HTTP route: checks
 * that throw before anything streams (the call is refused), then the work, which pushes events
 * with `send` until done and stops on `signal`.
 */
export type StreamHandlers = {
  readonly [M in StreamMethodName]: (...args: any[]) => (send: (event: object) => void, signal: AbortSignal) => Promise<void>;
};

/** Cancels a running inference job on its worker (its stream then ends with `end` / `cancelled`). */
export type CancelJob = (jobId: string) => Promise<void>;

// A cancelled job's stream normally ends at once with `end`; past this, it is cut.
const CANCEL_GRACE_MS = 3_000;

interface RunningStream {
  readonly abort: AbortController;
  jobId: string | undefined;
  cancelled: boolean;
  cut?: ReturnType<typeof setTimeout>;
}

/**
 * Registers the streaming methods: each call names a stream id, passes the same sender check and
 * argument validation as every other method, then runs on the queen core while its events are
 * pushed on that stream's own channel to the calling window only, ending with one `end` message.
 * A stream stops when its window cancels it, navigates away, crashes or closes.
 */
export function registerStreamHandlers(
  handlers: StreamHandlers,
  cancelJob: CancelJob,
  isTrustedSender: (sender: WebContents, frameUrl: string | undefined) => boolean,
  log: (message: string) => void,
): () => void {
  const running = new Map<string, RunningStream>();
  const keyOf = (sender: WebContents, streamId: string): string => `${sender.id}:${streamId}`;
  const refuseUntrusted = (event: IpcMainInvokeEvent, what: string): void => {
    if (isTrustedSender(event.sender, event.senderFrame?.url)) return;
    log(`IPC ${what} refused: untrusted sender ${event.senderFrame?.url ?? "(gone)"}`);
    throw new RbeeError("UNAUTHORIZED", "This window may not call the rbee API");
  };

  const methods = Object.keys(STREAM_METHODS) as StreamMethodName[];
  for (const method of methods) {
    ipcMain.handle(ipcStreamChannel(method), (event: IpcMainInvokeEvent, rawId: unknown, ...args: unknown[]): IpcOutcome => {
      try {
        refuseUntrusted(event, method);
        const streamId = parseOrThrow(IpcStreamId, rawId, "stream id");
        const parsed = parseOrThrow(STREAM_METHODS[method].args, args, `${method} arguments`) as unknown[];
        const sender = event.sender;
        const key = keyOf(sender, streamId);
        if (running.has(key)) throw new RbeeError("INVALID_REQUEST", `Stream ${streamId} is already running`);
        const work = handlers[method](...parsed);
        const stream: RunningStream = { abort: new AbortController(), jobId: undefined, cancelled: false };
        running.set(key, stream);
        const channel = ipcStreamEventChannel(streamId);
        const push = (message: IpcStreamMessage): void => {
          if (!sender.isDestroyed()) sender.send(channel, message);
        };
        const stop = (): void => stream.abort.abort();
        sender.once("destroyed", stop);
        sender.once("render-process-gone", stop);
        sender.once("did-navigate", stop);
        const send = (payload: object): void => {
          if (stream.abort.signal.aborted) return;
          const started = StartedEvent.safeParse(payload);
          if (started.success) stream.jobId = started.data.job_id;
          push({ kind: "event", event: payload });
        };
        // As over HTTP once streaming: a failure is an `error` event, and the stream always ends.
        void work(send, stream.abort.signal)
          .catch((error: unknown) => {
            const rbeeError = toRbeeError(error);
            if (rbeeError.code === "INTERNAL") log(`IPC ${method}: ${(error as Error)?.stack ?? String(error)}`);
            if (!stream.cancelled) send({ type: "error", code: rbeeError.code, message: rbeeError.message });
          })
          .finally(() => {
            clearTimeout(stream.cut);
            push({ kind: "end" });
            running.delete(key);
            sender.off("destroyed", stop);
            sender.off("render-process-gone", stop);
            sender.off("did-navigate", stop);
          });
        return { ok: true, value: null };
      } catch (error) {
        return { ok: false, error: toRbeeError(error).toBody().error };
      }
    });
  }

  ipcMain.handle(IPC_STREAM_CANCEL_CHANNEL, async (event: IpcMainInvokeEvent, rawId: unknown): Promise<IpcOutcome> => {
    try {
      refuseUntrusted(event, "cancel");
      const streamId = parseOrThrow(IpcStreamId, rawId, "stream id");
      const stream = running.get(keyOf(event.sender, streamId));
      if (!stream || stream.cancelled) return { ok: true, value: null };
      stream.cancelled = true;
      // Before the job starts (a cold start) there is nothing to cancel but the placement itself.
      if (stream.jobId === undefined) {
        stream.abort.abort();
        return { ok: true, value: null };
      }
      stream.cut = setTimeout(() => stream.abort.abort(), CANCEL_GRACE_MS);
      await cancelJob(stream.jobId).catch(() => stream.abort.abort());
      return { ok: true, value: null };
    } catch (error) {
      return { ok: false, error: toRbeeError(error).toBody().error };
    }
  });

  return () => {
    for (const method of methods) ipcMain.removeHandler(ipcStreamChannel(method));
    ipcMain.removeHandler(IPC_STREAM_CANCEL_CHANNEL);
    for (const stream of running.values()) stream.abort.abort();
  };
}
