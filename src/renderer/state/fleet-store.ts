import type { RbeeApi, Unsubscribe } from "../../shared/contract/api.js";
import { assertNever } from "../../shared/contract/errors.js";
import type { QueenEvent } from "../../shared/contract/events.js";
import type { WorkerExit } from "../../shared/contract/logs.js";
import type { Beehive } from "../../shared/contract/nodes.js";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { hasConnectionSource, type ConnectionState } from "../api/connection.js";
import { createStore, type Store } from "./store.js";

/** What the renderer knows about the fleet: the latest pushed snapshots (null until the first). */
export interface FleetState {
  readonly nodes: readonly Beehive[] | null;
  readonly workers: readonly RegisteredWorker[] | null;
  /** Workers that died without being stopped, newest first, until dismissed. */
  readonly exits: readonly WorkerExit[];
  readonly connection: ConnectionState;
}

/** An external store for useSyncExternalStore, fed only by the queen's pushed events. */
export interface FleetStore extends Store<FleetState> {
  /** Subscribes to the transport; returns the way to stop. */
  readonly start: () => Unsubscribe;
}

export const INITIAL_FLEET_STATE: FleetState = { nodes: null, workers: null, exits: [], connection: "connecting" };

/** Applies one pushed snapshot to the state (pure). */
export function applyEvent(state: FleetState, event: QueenEvent): FleetState {
  switch (event.type) {
    case "nodes":
      return { ...state, nodes: [...event.nodes].sort((a, b) => a.node_name.localeCompare(b.node_name)) };
    case "workers":
      return {
        ...state,
        workers: [...event.workers].sort(
          (a, b) => a.node_name.localeCompare(b.node_name) || a.id.localeCompare(b.id),
        ),
      };
    case "exits":
      return { ...state, exits: event.exits };
    default:
      return assertNever(event);
  }
}

/** Creates the store for one transport. The renderer never polls: snapshots arrive on connect and on change. */
export function createFleetStore(api: RbeeApi): FleetStore {
  const { getSnapshot, subscribe, set } = createStore(INITIAL_FLEET_STATE);

  return {
    getSnapshot,
    subscribe,
    start() {
      const reportsConnection = hasConnectionSource(api);
      const stopEvents = api.onEvent((event) => {
        const next = applyEvent(getSnapshot(), event);
        // A transport without a link of its own (IPC) counts as connected once snapshots arrive.
        set(reportsConnection ? next : { ...next, connection: "connected" });
      });
      const stopConnection = reportsConnection
        ? api.onConnectionChange((connection) => set({ ...getSnapshot(), connection }))
        : () => undefined;
      return () => {
        stopEvents();
        stopConnection();
      };
    },
  };
}
