import type { Unsubscribe } from "../../shared/contract/api.js";

/**
 * How the renderer's link to the queen is doing: `connecting` before the first answer,
 * `connected` while events flow, `reconnecting` after a drop (with backoff), `unauthorized` when
 * the queen refuses the token (retrying cannot help).
 */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "unauthorized";

/** A transport that can tell how its event link is doing. */
export interface ConnectionSource {
  /** Calls `listener` with the current state at once and on every change. */
  readonly onConnectionChange: (listener: (state: ConnectionState) => void) => Unsubscribe;
}

/** Whether `api` also reports its connection state. */
export function hasConnectionSource<T extends object>(api: T): api is T & ConnectionSource {
  return typeof (api as Partial<ConnectionSource>).onConnectionChange === "function";
}
