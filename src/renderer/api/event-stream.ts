import type { Unsubscribe } from "../../shared/contract/api.js";
import { transferKey } from "../../shared/contract/events.js";
import { SSE_DONE } from "../../shared/contract/streams.js";
import type { ConnectionSource, ConnectionState } from "./connection.js";
import { sseData } from "../../shared/sse.js";

/** One event as it arrives: an object with a `type`; the client built on this link validates it. */
type RawEvent = { readonly type: string };
type Item = Record<string, unknown>;

/** Each delta kind (`?deltas=1`): the snapshot kind whose list it changes, and the key of that list's items. */
const DELTA_LISTS: Readonly<Record<string, { readonly list: string; readonly key: (item: Item) => string }>> = {
  worker: { list: "workers", key: (worker) => String(worker.id) },
  node: { list: "nodes", key: (node) => String(node.node_name) },
  download: { list: "downloads", key: (download) => transferKey(download as Parameters<typeof transferKey>[0]) },
};
const LIST_KEYS = new Map(Object.entries(DELTA_LISTS).map(([kind, { list, key }]) => [list, { kind, key }]));

/**
 * The latest snapshot of each kind, with the deltas since folded into the lists (by key, O(1)
 * each): what a late subscriber is given, as snapshots.
 */
class LatestSnapshots {
  private readonly others = new Map<string, RawEvent>();
  private readonly lists = new Map<string, Map<string, Item>>();

  get size(): number {
    return this.others.size + this.lists.size;
  }

  take(event: RawEvent): void {
    const delta = DELTA_LISTS[event.type];
    if (delta) {
      const { op, [event.type]: item } = event as RawEvent & { op?: unknown } & Record<string, unknown>;
      const list = this.lists.get(delta.list);
      if (!list || typeof item !== "object" || item === null) return;
      if (op === "remove") list.delete(delta.key(item as Item));
      else list.set(delta.key(item as Item), item as Item);
      return;
    }
    const listed = LIST_KEYS.get(event.type);
    const items = (event as RawEvent & Record<string, unknown>)[event.type];
    if (listed && Array.isArray(items)) {
      this.others.delete(event.type);
      this.lists.set(event.type, new Map(items.map((item: Item) => [listed.key(item), item])));
    } else {
      this.lists.delete(event.type);
      this.others.set(event.type, event);
    }
  }

  snapshots(): RawEvent[] {
    return [...[...this.lists].map(([type, items]) => ({ type, [type]: [...items.values()] })), ...this.others.values()];
  }
}

export interface EventStreamOptions {
  readonly url: string;
  readonly token: string;
  readonly fetch: typeof fetch;
  /** First reconnect delay; doubles up to `maxDelayMs`. */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** One shared SSE link to `GET /v1/events` for every subscriber. */
export interface EventStream extends ConnectionSource {
  readonly subscribe: (listener: (event: unknown) => void) => Unsubscribe;
}

/**
 * Reads the queen's event stream with fetch (EventSource cannot send an Authorization header),
 * validates each event, and reconnects with exponential backoff when the link drops. The stream
 * runs while at least one listener is subscribed; a late subscriber gets the latest snapshots at once
 * (with the deltas since applied to them).
 */
export function createEventStream(options: EventStreamOptions): EventStream {
  const minDelay = options.minDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 10_000;
  const listeners = new Set<(event: unknown) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  const latest = new LatestSnapshots();
  let state: ConnectionState = "connecting";
  let controller: AbortController | null = null;

  const setState = (next: ConnectionState): void => {
    if (next === state) return;
    state = next;
    for (const listener of [...connectionListeners]) listener(next);
  };

  const emit = (event: RawEvent): void => {
    latest.take(event);
    for (const listener of [...listeners]) listener(event);
  };

  const onData = (data: string): boolean => {
    if (data === SSE_DONE) return false;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      console.warn("rbee: ignored an event that is not JSON", data.slice(0, 200));
      return false;
    }
    if (typeof json !== "object" || json === null || typeof (json as { type?: unknown }).type !== "string") {
      console.warn("rbee: ignored an event without a type", data.slice(0, 200));
      return false;
    }
    emit(json as RawEvent);
    return true;
  };

  const readOnce = async (signal: AbortSignal, onFirstEvent: () => void): Promise<"dropped" | "unauthorized"> => {
    const response = await options.fetch(options.url, {
      headers: { Authorization: `Bearer ${options.token}`, Accept: "text/event-stream" },
      cache: "no-store",
      signal,
    });
    if (response.status === 401) return "unauthorized";
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return "dropped";
    }
    setState("connected");
    let gotEvent = false;
    for await (const data of sseData(response.body)) {
      if (onData(data) && !gotEvent) {
        gotEvent = true;
        onFirstEvent();
      }
    }
    return "dropped";
  };

  const run = async (signal: AbortSignal): Promise<void> => {
    let delay = minDelay;
    while (!signal.aborted) {
      let outcome: "dropped" | "unauthorized" = "dropped";
      try {
        // Only a link that delivered an event resets the backoff: a queen that accepts and
        // closes at once must not be hammered.
        outcome = await readOnce(signal, () => {
          delay = minDelay;
        });
      } catch {
        outcome = "dropped";
      }
      if (signal.aborted) return;
      if (outcome === "unauthorized") {
        setState("unauthorized");
        return;
      }
      setState("reconnecting");
      const wait = delay + Math.random() * delay * 0.2;
      delay = Math.min(delay * 2, maxDelay);
      await sleep(wait, signal);
    }
  };

  const start = (): void => {
    if (controller) return;
    controller = new AbortController();
    if (state !== "unauthorized") setState(latest.size > 0 ? "reconnecting" : "connecting");
    void run(controller.signal);
  };

  const stop = (): void => {
    controller?.abort();
    controller = null;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      const snapshots = latest.snapshots();
      if (snapshots.length > 0) {
        queueMicrotask(() => {
          if (listeners.has(listener)) for (const event of snapshots) listener(event);
        });
      }
      start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
