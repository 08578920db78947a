import type { RbeeApi, Unsubscribe } from "../../shared/contract/api.js";
import { assertNever } from "../../shared/contract/errors.js";
import { transferKey, type DeltaOp, type QueenEvent } from "../../shared/contract/events.js";
import type { ModelTransfer } from "../../shared/contract/fleet-models.js";
import type { NodeDevicesFigures, WorkerStats } from "../../shared/contract/fleet-stats.js";
import type { WorkerExit } from "../../shared/contract/logs.js";
import type { Beehive } from "../../shared/contract/nodes.js";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { hasConnectionSource, type ConnectionState } from "../api/connection.js";
import { createStore, type Store } from "./store.js";

/** What the renderer knows about the fleet: the latest pushed snapshots (null until the first). */
export interface FleetState {
  readonly nodes: readonly Beehive[] | null;
  readonly workers: readonly RegisteredWorker[] | null;
  /** The downloads and copies running on the fleet now, whoever started them (null until the first snapshot). */
  readonly downloads: readonly ModelTransfer[] | null;
  /** Each live worker's request figures, by worker id. */
  readonly workerStats: ReadonlyMap<string, WorkerStats>;
  /** Each ready node's devices with live GPU figures, by node name (pushed while the UI is open). */
  readonly devices: ReadonlyMap<string, NodeDevicesFigures["devices"]>;
  /** Workers that died without being stopped, newest first, until dismissed. */
  readonly exits: readonly WorkerExit[];
  readonly connection: ConnectionState;
}

/** An external store for useSyncExternalStore, fed only by the queen's pushed events. */
export interface FleetStore extends Store<FleetState> {
  /** Subscribes to the transport; returns the way to stop. */
  readonly start: () => Unsubscribe;
}

export const INITIAL_FLEET_STATE: FleetState = { nodes: null, workers: null, downloads: null, workerStats: new Map(), devices: new Map(), exits: [], connection: "connecting" };

/** Applies one pushed snapshot to the state (pure). */
export function applyEvent(state: FleetState, event: QueenEvent): FleetState {
  switch (event.type) {
    case "worker":
      return { ...state, workers: state.workers && applyDelta(state.workers, event.op, event.worker, (worker) => worker.id) };
    case "node":
      return { ...state, nodes: state.nodes && applyDelta(state.nodes, event.op, event.node, (node) => node.node_name) };
    case "download":
      return { ...state, downloads: state.downloads && applyDelta(state.downloads, event.op, event.download, transferKey) };
    case "nodes":
      return { ...state, nodes: [...event.nodes].sort((a, b) => a.node_name.localeCompare(b.node_name)) };
    case "workers":
      return {
        ...state,
        workers: [...event.workers].sort(
          (a, b) => a.node_name.localeCompare(b.node_name) || a.id.localeCompare(b.id),
        ),
      };
    case "downloads":
      return { ...state, downloads: event.downloads };
    case "worker_stats":
      return { ...state, workerStats: new Map(event.stats.map((stats) => [stats.worker_id, stats])) };
    case "devices":
      return { ...state, devices: new Map(event.nodes.map((node) => [node.node_name, node.devices])) };
    case "exits":
      return { ...state, exits: event.exits };
    default:
      return assertNever(event);
  }
}

/** A list with one item put in place of the one with its key (or added), or taken out. */
function applyDelta<T>(list: readonly T[], op: DeltaOp, item: T, key: (item: T) => string): readonly T[] {
  const id = key(item);
  const rest = list.filter((entry) => key(entry) !== id);
  return op === "remove" ? rest : [...rest, item];
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
