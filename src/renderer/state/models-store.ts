import type { RbeeApi, StreamHandle, Unsubscribe } from "../../shared/contract/api.js";
import { RbeeError } from "../../shared/contract/errors.js";
import type { ModelStreamEvent, NodeModelRequest, NodeModels } from "../../shared/contract/fleet-models.js";
import type { FleetState } from "./fleet-store.js";
import type { KeyedList } from "./keyed-list.js";
import { applyTransferEvent, endedTransfers, type TransferOperation, type TransferState } from "./model-transfers.js";
import { createStore, type Store } from "./store.js";

/** What the renderer knows about the models on the fleet's nodes. */
export interface ModelsState {
  /** Every node's models and free disk as last listed; null until the first answer. */
  readonly nodes: readonly NodeModels[] | null;
  /** A listing is under way. */
  readonly loading: boolean;
  /** Why the last listing failed (the nodes of the one before stay shown); null when it succeeded. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Downloads and copies started in this window that are running or failed. */
  readonly transfers: readonly TransferOperation[];
}

export const INITIAL_MODELS: ModelsState = { nodes: null, loading: false, error: null, transfers: [] };

type ModelsApi = Pick<RbeeApi, "listModels" | "downloadModel" | "copyModel" | "cancelDownload" | "removeModel">;

/** The models as the views use them: state plus the actions on them. */
export interface ModelsStore extends Store<ModelsState> {
  /** Follows the fleet's snapshots (a transfer that ends, a worker that comes or goes, lists again); returns the way to stop. */
  readonly start: () => Unsubscribe;
  /** Lists every node's models (again); a call while one runs asks once more after it. */
  readonly refresh: () => void;
  /** Lists them unless they were listed already or are being listed. */
  readonly load: () => void;
  /** Downloads a model to a node; answers the operation's id. */
  readonly download: (request: NodeModelRequest) => string;
  /** Copies a model from one node to another; answers the operation's id. */
  readonly copy: (request: { readonly model_ref: string; readonly from_node: string; readonly to_node: string }) => string;
  /** Stops a running download or copy on `node_name` (the partial file stays for a later resume). */
  readonly cancel: (transfer: { readonly node_name: string; readonly model_ref: string; readonly operationId: string | null }) => Promise<void>;
  /** Removes a model from a node; rejects with the queen's RbeeError (MODEL_IN_USE, MODEL_NOT_FOUND). */
  readonly remove: (request: NodeModelRequest) => Promise<void>;
  /** Forgets a failed transfer. */
  readonly dismiss: (id: string) => void;
}

/** Runs the model actions over the API and keeps the listing fresh from the fleet's pushed snapshots. */
export function createModelsStore(api: ModelsApi, fleet: Store<FleetState>): ModelsStore {
  const { getSnapshot, subscribe, set } = createStore(INITIAL_MODELS);
  const patch = (change: Partial<ModelsState>): void => void set({ ...getSnapshot(), ...change });
  let nextId = 1;
  let again = false;
  const handles = new Map<string, StreamHandle>();
  const cancelled = new Set<string>();

  const refresh = (): void => {
    if (getSnapshot().loading) {
      again = true;
      return;
    }
    patch({ loading: true });
    api.listModels({}).then(
      (answer) => patch({ nodes: answer.nodes, loading: false, error: null }),
      (error: unknown) => patch({ loading: false, error: codedError(error) }),
    ).finally(() => {
      if (!again) return;
      again = false;
      refresh();
    });
  };

  const setTransfer = (id: string, change: (state: TransferState) => TransferState): void => {
    patch({ transfers: getSnapshot().transfers.map((op) => (op.id === id ? { ...op, state: change(op.state) } : op)) });
  };

  /** Follows one stream: a finished one lists the models again and goes; a failed one stays to be read. */
  const follow = (op: Omit<TransferOperation, "state">, start: (onEvent: (event: ModelStreamEvent) => void) => StreamHandle): string => {
    patch({ transfers: [...getSnapshot().transfers, { ...op, state: { kind: "running", message: null } }] });
    // A cancelled transfer's stream ends with the queen's word that it was cancelled: that is no failure.
    const handle = start((event) =>
      setTransfer(op.id, (state) => (event.type === "error" && cancelled.has(op.id) ? { kind: "cancelled" } : applyTransferEvent(state, event))),
    );
    handles.set(op.id, handle);
    const settle = (error?: unknown): void => {
      handles.delete(op.id);
      const wasCancelled = cancelled.delete(op.id);
      setTransfer(op.id, (state) => {
        if (state.kind !== "running") return state;
        if (wasCancelled) return { kind: "cancelled" };
        const failure = error === undefined ? new RbeeError("INTERNAL", "The transfer ended before the model arrived") : error;
        return { kind: "failed", ...codedError(failure) };
      });
      const after = getSnapshot().transfers.find((t) => t.id === op.id);
      if (after && after.state.kind !== "failed") patch({ transfers: getSnapshot().transfers.filter((t) => t.id !== op.id) });
      refresh();
    };
    handle.done.then(() => settle(), settle);
    return op.id;
  };

  return {
    getSnapshot,
    subscribe,
    start() {
      let last = fleet.getSnapshot();
      return fleet.subscribe(() => {
        const now = fleet.getSnapshot();
        const previous = last;
        last = now;
        if (getSnapshot().nodes === null && !getSnapshot().loading) return;
        const transferEnded = now.downloads !== previous.downloads && endedTransfers(previous.downloads?.toArray() ?? null, now.downloads?.toArray() ?? null).length > 0;
        const workersMoved = membersMoved(previous.workers, now.workers);
        const nodesMoved = membersMoved(previous.nodes, now.nodes);
        if (transferEnded || workersMoved || nodesMoved) refresh();
      });
    },
    refresh,
    load() {
      const state = getSnapshot();
      if (state.nodes === null && !state.loading) refresh();
    },
    download(request) {
      const id = `transfer-${nextId++}`;
      return follow({ id, kind: "download", ...request }, (onEvent) => api.downloadModel(request, onEvent));
    },
    copy(request) {
      const id = `transfer-${nextId++}`;
      return follow(
        { id, kind: "copy", node_name: request.to_node, model_ref: request.model_ref, from_node: request.from_node },
        (onEvent) => api.copyModel(request, onEvent),
      );
    },
    async cancel({ node_name, model_ref, operationId }) {
      if (operationId !== null && handles.has(operationId)) cancelled.add(operationId);
      // The queen's transfer goes on without its client: ask it to stop that, then end this window's stream.
      await api.cancelDownload({ node_name, model_ref });
      if (operationId !== null) handles.get(operationId)?.cancel();
    },
    async remove(request) {
      await api.removeModel(request);
      const nodes = getSnapshot().nodes;
      if (nodes) {
        patch({
          nodes: nodes.map((node) =>
            node.node_name === request.node_name ? { ...node, models: node.models.filter((m) => m.model_ref !== request.model_ref && m.file !== request.model_ref) } : node,
          ),
        });
      }
      refresh();
    },
    dismiss(id) {
      patch({ transfers: getSnapshot().transfers.filter((op) => op.id !== id) });
    },
  };
}

function codedError(error: unknown): { readonly code: string; readonly message: string } {
  if (error instanceof RbeeError) return { code: error.code, message: error.message };
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}

/** Whether items were added to or removed from a list (a list's first snapshot counts when it has any). */
function membersMoved<T>(before: KeyedList<T> | null, after: KeyedList<T> | null): boolean {
  if (before === after) return false;
  if (before === null || after === null) return (before ?? after)!.size > 0;
  return before.members !== after.members;
}
