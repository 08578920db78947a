import type { RbeeApi, Unsubscribe } from "../../shared/contract/api.js";
import { assertNever } from "../../shared/contract/errors.js";
import { transferKey, type DeltaOp, type QueenEvent } from "../../shared/contract/events.js";
import type { ModelTransfer } from "../../shared/contract/fleet-models.js";
import type { NodeDevicesFigures, WorkerStats } from "../../shared/contract/fleet-stats.js";
import type { WorkerExit } from "../../shared/contract/logs.js";
import type { Beehive } from "../../shared/contract/nodes.js";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { hasConnectionSource, type ConnectionState } from "../api/connection.js";
import { vramAfter, vramTotals } from "./device-vram.js";
import { jsonEqual, keepEqualValues } from "./json-equal.js";
import { KeyedList, type ListOrder } from "./keyed-list.js";
import { createFrameStore, nextFrame, type FrameScheduler } from "./frame-store.js";
import type { Store } from "./store.js";

/** What the renderer knows about the fleet: the snapshots and deltas the queen pushed (null until the first snapshot). */
export interface FleetState {
  /** By node name. */
  readonly nodes: KeyedList<Beehive> | null;
  /** By node name, then id. */
  readonly workers: KeyedList<RegisteredWorker> | null;
  /** The downloads and copies running on the fleet now, whoever started them; by node, model, then kind. */
  readonly downloads: KeyedList<ModelTransfer> | null;
  /** The VRAM rbee's workers hold on each device, by deviceKey (kept per delta: see vramAfter). */
  readonly workerVram: ReadonlyMap<string, number>;
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

const collate = new Intl.Collator().compare;
const NODE_ORDER: ListOrder<Beehive> = { key: (node) => node.node_name, order: (a, b) => collate(a.node_name, b.node_name) };
const WORKER_ORDER: ListOrder<RegisteredWorker> = {
  key: (worker) => worker.id,
  order: (a, b) => collate(a.node_name, b.node_name) || collate(a.id, b.id),
};
const TRANSFER_ORDER: ListOrder<ModelTransfer> = {
  key: transferKey,
  order: (a, b) => collate(a.node_name, b.node_name) || collate(a.model_ref, b.model_ref) || collate(a.kind, b.kind),
};

export const INITIAL_FLEET_STATE: FleetState = { nodes: null, workers: null, downloads: null, workerVram: new Map(), workerStats: new Map(), devices: new Map(), exits: [], connection: "connecting" };

type ListField = "nodes" | "workers" | "downloads";

/**
 * Applies one pushed event to the state (pure). Items equal to the ones held keep their objects,
 * and an event that changes nothing answers the same state.
 */
export function applyEvent(state: FleetState, event: QueenEvent): FleetState {
  switch (event.type) {
    case "worker": {
      const workers = applied(state.workers, WORKER_ORDER, event.op, event.worker);
      if (!workers || workers === state.workers) return state;
      const id = event.worker.id;
      return { ...state, workers, workerVram: vramAfter(state.workerVram, state.workers?.get(id), workers.get(id)) };
    }
    case "node":
      return withValue(state, "nodes", applied(state.nodes, NODE_ORDER, event.op, event.node));
    case "download":
      return withValue(state, "downloads", applied(state.downloads, TRANSFER_ORDER, event.op, event.download));
    case "nodes":
      return withValue(state, "nodes", replaced(state.nodes, NODE_ORDER, event.nodes));
    case "workers": {
      const workers = replaced(state.workers, WORKER_ORDER, event.workers);
      if (workers === state.workers) return state;
      return { ...state, workers, workerVram: keepEqualValues(state.workerVram, vramTotals(workers)) };
    }
    case "downloads":
      return withValue(state, "downloads", replaced(state.downloads, TRANSFER_ORDER, event.downloads));
    case "worker_stats":
      return withValue(state, "workerStats", keepEqualValues(state.workerStats, new Map(event.stats.map((stats) => [stats.worker_id, stats]))));
    case "devices":
      return withValue(state, "devices", keepEqualValues(state.devices, new Map(event.nodes.map((node) => [node.node_name, node.devices]))));
    case "exits":
      return withValue(state, "exits", jsonEqual(state.exits, event.exits) ? state.exits : event.exits);
    default:
      return assertNever(event);
  }
}

function replaced<T>(list: KeyedList<T> | null, spec: ListOrder<T>, items: readonly T[]): KeyedList<T> {
  return list ? list.replaceAll(items) : KeyedList.of(spec, items);
}

/** One item put in or taken out; a delta before its list's first snapshot has nothing to apply to. */
function applied<T>(list: KeyedList<T> | null, spec: ListOrder<T>, op: DeltaOp, item: T): KeyedList<T> | null {
  if (!list) return null;
  return op === "remove" ? list.remove(spec.key(item)) : list.upsert(item);
}

function withValue<F extends keyof FleetState>(state: FleetState, field: F, value: FleetState[F]): FleetState {
  return Object.is(state[field], value) ? state : { ...state, [field]: value };
}

/**
 * Creates the store for one transport. The renderer never polls: snapshots arrive on connect and on change.
 * Each event is applied as it arrives; the views hear of the changes at most once per frame (see
 * createFrameStore), so a burst of deltas is one render. Stopping passes on what has not been yet.
 */
export function createFleetStore(api: RbeeApi, schedule: FrameScheduler = nextFrame): FleetStore {
  const { getSnapshot, subscribe, set, latest, flush } = createFrameStore(INITIAL_FLEET_STATE, schedule);

  return {
    getSnapshot,
    subscribe,
    start() {
      const reportsConnection = hasConnectionSource(api);
      const stopEvents = api.onEvent((event) => {
        const next = applyEvent(latest(), event);
        // A transport without a link of its own (IPC) counts as connected once snapshots arrive.
        set(reportsConnection || next.connection === "connected" ? next : { ...next, connection: "connected" });
      });
      const stopConnection = reportsConnection
        ? api.onConnectionChange((connection) => set(withValue(latest(), "connection", connection)))
        : () => undefined;
      return () => {
        stopEvents();
        stopConnection();
        flush();
      };
    },
  };
}

/** The fleet as most views read it: the lists as arrays in their order. */
export interface FleetView extends Omit<FleetState, ListField> {
  readonly nodes: readonly Beehive[] | null;
  readonly workers: readonly RegisteredWorker[] | null;
  readonly downloads: readonly ModelTransfer[] | null;
}

const views = new WeakMap<FleetState, FleetView>();

/** The state with its lists as arrays: one object per state, each array built once per list. */
export function fleetView(state: FleetState): FleetView {
  let view = views.get(state);
  if (!view) {
    view = { ...state, nodes: state.nodes?.toArray() ?? null, workers: state.workers?.toArray() ?? null, downloads: state.downloads?.toArray() ?? null };
    views.set(state, view);
  }
  return view;
}
