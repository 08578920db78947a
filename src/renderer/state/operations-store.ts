import type { RbeeApi, StreamHandle } from "../../shared/contract/api.js";
import { RbeeError } from "../../shared/contract/errors.js";
import type { InstallStreamEvent, ProgressEvent, SpawnStreamEvent } from "../../shared/contract/streams.js";
import type { Backend, Engine, RegisteredWorker } from "../../shared/contract/workers.js";
import { createStore, type Store } from "./store.js";

/** Where a long piece of work (an install, a spawn) is. */
export type OperationState =
  | { readonly kind: "running"; readonly progress: Omit<ProgressEvent, "type"> | null }
  | { readonly kind: "done"; readonly message: string; readonly worker?: RegisteredWorker }
  | { readonly kind: "failed"; readonly code: string; readonly message: string };

/** A spawn asked for from the Workers view. */
export interface SpawnOperation {
  readonly id: string;
  readonly request: {
    readonly node_name: string;
    readonly model_ref: string;
    readonly backend: Backend;
    readonly device: number;
    readonly slots?: number;
    readonly engine?: Engine;
    /** Other nodes holding part of the model. */
    readonly shards?: readonly string[];
  };
  readonly state: OperationState;
}

/** Every install (by node) and spawn the user started in this window. */
export interface OperationsState {
  readonly installs: Readonly<Record<string, OperationState>>;
  readonly spawns: readonly SpawnOperation[];
}

export const INITIAL_OPERATIONS: OperationsState = { installs: {}, spawns: [] };
export const STARTING: OperationState = { kind: "running", progress: null };

/** Applies one event of an install or spawn stream (pure). */
export function applyOperationEvent(state: OperationState, event: InstallStreamEvent | SpawnStreamEvent): OperationState {
  if (state.kind !== "running") return state;
  switch (event.type) {
    case "progress": {
      const { type: _type, ...progress } = event;
      return { kind: "running", progress };
    }
    case "error":
      return { kind: "failed", code: event.code, message: event.message };
    case "worker":
      return { kind: "done", message: `Worker ${event.worker.id} is ${event.worker.state} on ${event.worker.node_name}`, worker: event.worker };
  }
}

/** Ends an operation whose stream is over: its last step becomes the final status, or the refusal its error. */
export function settleOperation(state: OperationState, error?: unknown): OperationState {
  if (state.kind !== "running") return state;
  if (error !== undefined) {
    const rbee = error instanceof RbeeError ? error : new RbeeError("INTERNAL", (error as Error)?.message ?? String(error));
    return { kind: "failed", code: rbee.code, message: rbee.message };
  }
  return { kind: "done", message: state.progress?.message ?? "Done" };
}

/** The operations as the views use them: state plus the actions that start, cancel and dismiss them. */
export interface OperationsStore extends Store<OperationsState> {
  /** Installs or updates rbee on a node; a second call while it runs does nothing. */
  readonly install: (nodeName: string) => void;
  /** Spawns a worker; answers the operation's id. */
  readonly spawn: (request: SpawnOperation["request"]) => string;
  /** Forgets a finished spawn (its card goes away). */
  readonly dismissSpawn: (id: string) => void;
  /** Cancels a running spawn. */
  readonly cancelSpawn: (id: string) => void;
}

/** Runs installs and spawns over the API's streams and keeps their progress for every view. */
export function createOperationsStore(api: Pick<RbeeApi, "installNode" | "spawnWorker">): OperationsStore {
  const { getSnapshot, subscribe, set } = createStore(INITIAL_OPERATIONS);
  let nextId = 1;
  const spawnHandles = new Map<string, StreamHandle>();
  const cancelledSpawns = new Set<string>();

  const setInstall = (node: string, change: (current: OperationState) => OperationState): void => {
    const state = getSnapshot();
    set({ ...state, installs: { ...state.installs, [node]: change(state.installs[node] ?? STARTING) } });
  };
  const setSpawn = (id: string, change: (current: OperationState) => OperationState): void => {
    const state = getSnapshot();
    set({ ...state, spawns: state.spawns.map((op) => (op.id === id ? { ...op, state: change(op.state) } : op)) });
  };

  return {
    getSnapshot,
    subscribe,
    install(nodeName) {
      if (getSnapshot().installs[nodeName]?.kind === "running") return;
      setInstall(nodeName, () => STARTING);
      const handle = api.installNode({ node_name: nodeName }, (event) => setInstall(nodeName, (current) => applyOperationEvent(current, event)));
      handle.done.then(
        () => setInstall(nodeName, (current) => settleOperation(current)),
        (error: unknown) => setInstall(nodeName, (current) => settleOperation(current, error)),
      );
    },
    spawn(request) {
      const id = `spawn-${nextId++}`;
      const state = getSnapshot();
      set({ ...state, spawns: [...state.spawns, { id, request, state: STARTING }] });
      const handle = api.spawnWorker({ ...request, shards: request.shards ? [...request.shards] : undefined }, (event) => setSpawn(id, (current) => applyOperationEvent(current, event)));
      spawnHandles.set(id, handle);
      // A spawn stream ends with its worker; ending without one is a failure.
      const unfinished = (): RbeeError =>
        cancelledSpawns.has(id)
          ? new RbeeError("INTERNAL", "Cancelled before the worker was ready")
          : new RbeeError("WORKER_FAILED", "The spawn ended before the worker was ready");
      handle.done
        .then(
          () => setSpawn(id, (current) => settleOperation(current, unfinished())),
          (error: unknown) => setSpawn(id, (current) => settleOperation(current, cancelledSpawns.has(id) ? unfinished() : error)),
        )
        .finally(() => {
          spawnHandles.delete(id);
          cancelledSpawns.delete(id);
        });
      return id;
    },
    dismissSpawn(id) {
      cancelledSpawns.add(id);
      spawnHandles.get(id)?.cancel();
      const state = getSnapshot();
      set({ ...state, spawns: state.spawns.filter((op) => op.id !== id) });
    },
    cancelSpawn(id) {
      if (!spawnHandles.has(id)) return;
      cancelledSpawns.add(id);
      spawnHandles.get(id)?.cancel();
    },
  };
}
