import { ipcMain, type IpcMainInvokeEvent, type WebContents } from "electron";
import {
  API,
  IPC_EVENT_CHANNEL,
  IPC_STREAM_CANCEL_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  IpcStreamId,
  RbeeError,
  ipcChannel,
  ipcStreamChannel,
  ipcStreamEventChannel,
  followMethodName,
  parseInput,
  parseOrThrow,
  splitInput,
  type ApiEntry,
  type FollowName,
  type IpcOutcome,
  type IpcStreamMessage,
  type MethodName,
  type StreamName,
} from "../shared/contract/index.js";
import type { Disposable } from "../shared/emitter.js";
import { reportedError } from "../core/errors.js";
import type { CoreStream } from "../core/service/core-stream.js";
import type { ApiService, StreamOpener } from "../core/service/queen-service.js";

/** Whether an IPC call comes from our own window showing our own renderer. */
export type TrustedSender = (sender: WebContents, frameUrl: string | undefined) => boolean;

// Events that end everything a window started: it closed, crashed or navigated away.
const WINDOW_GONE = ["destroyed", "render-process-gone", "did-navigate"] as const;

/** Runs `stop` once when the window goes away; the disposer forgets it. */
function onWindowGone(sender: WebContents, stop: () => void): Disposable {
  for (const event of WINDOW_GONE) sender.once(event as "destroyed", stop);
  return () => {
    for (const event of WINDOW_GONE) sender.off(event as "destroyed", stop);
  };
}

/**
 * Registers the API table on IPC, every channel through one wrapper: it checks that the sender is
 * our own window showing our own renderer, validates the input against the row, and answers errors
 * as values (Electron would drop their codes). Call rows answer once; stream rows (and the follow
 * form of a call row, on its own channel) push their events
 * on the stream's own channel to the calling window only, then one `end`; the `events` row pushes
 * snapshots to each subscribed window. Returns a function that unregisters everything.
 */
export function registerIpc(service: ApiService & StreamOpener, isTrustedSender: TrustedSender, log: (message: string) => void): () => void {
  const channels: string[] = [];
  const running = new Map<string, CoreStream<object>>();
  const subscriptions = new Map<WebContents, Disposable>();
  const keyOf = (sender: WebContents, streamId: string): string => `${sender.id}:${streamId}`;

  /** The one wrapper: sender check, then `work`; any failure becomes `{ok:false, error}`. */
  const handle = (channel: string, what: string, work: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void => {
    channels.push(channel);
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<IpcOutcome> => {
      try {
        if (!isTrustedSender(event.sender, event.senderFrame?.url)) {
          log(`IPC ${what} refused: untrusted sender ${event.senderFrame?.url ?? "(gone)"}`);
          throw new RbeeError("UNAUTHORIZED", "This window may not call the rbee API");
        }
        return { ok: true, value: await work(event, ...args) };
      } catch (error) {
        return { ok: false, error: reportedError(error, `IPC ${what}`, log).toBody().error };
      }
    });
  };

  const startStream = (event: IpcMainInvokeEvent, streamId: string, stream: CoreStream<object>): void => {
    const sender = event.sender;
    const key = keyOf(sender, streamId);
    running.set(key, stream);
    const channel = ipcStreamEventChannel(streamId);
    const push = (message: IpcStreamMessage): void => {
      if (!sender.isDestroyed()) sender.send(channel, message);
    };
    const forget = onWindowGone(sender, () => stream.cancel());
    void stream
      .run((payload) => push({ kind: "event", event: payload }))
      .finally(() => {
        push({ kind: "end" });
        running.delete(key);
        forget();
      });
  };

  for (const [method, entry] of Object.entries(API) as [MethodName, ApiEntry][]) {
    switch (entry.kind) {
      case "call":
        handle(ipcChannel(method as never), method, async (_event, input) => {
          const parsed = parseInput(method, splitInput(entry, input));
          return (service[method] as (input: unknown) => Promise<unknown>)(parsed);
        });
        if (entry.follow) {
          const follow = followMethodName(method as FollowName);
          handle(ipcStreamChannel(follow), follow, async (event, rawId, input) => {
            const streamId = parseOrThrow(IpcStreamId, rawId, "stream id");
            if (running.has(keyOf(event.sender, streamId))) throw new RbeeError("INVALID_REQUEST", `Stream ${streamId} is already running`);
            const parsed = parseInput(method, splitInput(entry, { ...(input as object), follow: true }));
            const open = service[follow] as (input: unknown) => Promise<CoreStream<object>>;
            startStream(event, streamId, await open(parsed));
            return null;
          });
        }
        break;
      case "stream":
        handle(ipcStreamChannel(method as never), method, async (event, rawId, input) => {
          const streamId = parseOrThrow(IpcStreamId, rawId, "stream id");
          if (running.has(keyOf(event.sender, streamId))) throw new RbeeError("INVALID_REQUEST", `Stream ${streamId} is already running`);
          const parsed = parseInput(method, splitInput(entry, input));
          // Refusals (unknown node, bad input) reject here, before anything streams.
          startStream(event, streamId, (await service.openStream(method as StreamName, parsed as never)) as CoreStream<object>);
          return null;
        });
        break;
      case "subscription":
        handle(IPC_SUBSCRIBE_CHANNEL, "subscribe", async (event) => {
          const sender = event.sender;
          subscriptions.get(sender)?.();
          const forget = onWindowGone(sender, () => unsubscribe());
          // Deltas, coalesced per tick by the feed: a window has no backpressure to heed (send() only queues).
          const dispose = service.events(
            (queenEvent) => {
              if (!sender.isDestroyed()) sender.send(IPC_EVENT_CHANNEL, queenEvent);
            },
            { deltas: true },
          );
          const unsubscribe = (): void => {
            dispose();
            forget();
            subscriptions.delete(sender);
          };
          subscriptions.set(sender, unsubscribe);
          return null;
        });
        break;
    }
  }

  handle(IPC_STREAM_CANCEL_CHANNEL, "cancel", async (event, rawId) => {
    const streamId = parseOrThrow(IpcStreamId, rawId, "stream id");
    running.get(keyOf(event.sender, streamId))?.cancel();
    return null;
  });

  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
    for (const stream of running.values()) stream.cancel();
    for (const unsubscribe of [...subscriptions.values()]) unsubscribe();
  };
}
