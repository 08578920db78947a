import type { ModelTransfer, NodeModel } from "../../shared/contract/fleet-models.js";
import type { ModelStreamEvent } from "../../shared/contract/fleet-models.js";

/** Where a download or copy started in this window is. */
export type TransferState =
  | { readonly kind: "running"; readonly bytes?: number; readonly bytes_total?: number; readonly message: string | null }
  | { readonly kind: "done"; readonly model: NodeModel }
  | { readonly kind: "cancelled" }
  | { readonly kind: "failed"; readonly code: string; readonly message: string };

/** A download or copy started in this window, by its stream. */
export interface TransferOperation {
  readonly id: string;
  readonly kind: ModelTransfer["kind"];
  /** The node the file goes to. */
  readonly node_name: string;
  readonly model_ref: string;
  /** The node a copy reads from. */
  readonly from_node?: string;
  readonly state: TransferState;
}

/** A running transfer as the Models view shows it: from this window's stream, the queen's `downloads`, or both. */
export interface TransferView {
  readonly key: string;
  readonly kind: ModelTransfer["kind"];
  readonly node_name: string;
  readonly model_ref: string;
  readonly from_node?: string;
  readonly bytes: number;
  readonly bytes_total?: number;
  readonly message: string | null;
  /** The operation's id when this window started it (its stream can be cancelled), else null. */
  readonly operationId: string | null;
}

/** What tells one transfer from another: its kind, its target node and its model. */
export function transferKey(transfer: { readonly kind: string; readonly node_name: string; readonly model_ref: string }): string {
  return `${transfer.kind}\u0000${transfer.node_name}\u0000${transfer.model_ref}`;
}

/** Applies one event of a download or copy stream (pure); a finished operation ignores late events. */
export function applyTransferEvent(state: TransferState, event: ModelStreamEvent): TransferState {
  if (state.kind !== "running") return state;
  switch (event.type) {
    case "progress":
      return {
        kind: "running",
        message: event.message,
        // A progress line without bytes (a step's message) keeps the amount known so far.
        ...(event.bytes !== undefined ? { bytes: event.bytes } : state.bytes !== undefined ? { bytes: state.bytes } : {}),
        ...(event.bytes_total !== undefined ? { bytes_total: event.bytes_total } : state.bytes_total !== undefined ? { bytes_total: state.bytes_total } : {}),
      };
    case "model":
      return { kind: "done", model: event.model };
    case "error":
      return { kind: "failed", code: event.code, message: event.message };
  }
}

/**
 * Every running transfer, once: this window's running streams merged with the queen's `downloads`
 * snapshot (which also holds those started elsewhere, or before this window opened). A model_ref is
 * compared after `resolve` (a catalog alias is listed by the queen under its resolved reference); of
 * two reports of one transfer the one further along wins, since the snapshot and the stream arrive
 * at their own pace.
 */
export function mergeTransfers(
  started: readonly TransferOperation[],
  running: readonly ModelTransfer[] | null,
  resolve: (modelRef: string) => string = (modelRef) => modelRef,
): TransferView[] {
  const merged = new Map<string, TransferView>();
  for (const op of started) {
    if (op.state.kind !== "running") continue;
    const view: TransferView = {
      key: transferKey({ ...op, model_ref: resolve(op.model_ref) }),
      kind: op.kind,
      node_name: op.node_name,
      model_ref: op.model_ref,
      ...(op.from_node !== undefined ? { from_node: op.from_node } : {}),
      bytes: op.state.bytes ?? 0,
      ...(op.state.bytes_total !== undefined ? { bytes_total: op.state.bytes_total } : {}),
      message: op.state.message,
      operationId: op.id,
    };
    merged.set(view.key, view);
  }
  for (const transfer of running ?? []) {
    const key = transferKey({ ...transfer, model_ref: resolve(transfer.model_ref) });
    const mine = merged.get(key);
    if (!mine) {
      merged.set(key, { ...transfer, key, message: null, operationId: null });
      continue;
    }
    const total = mine.bytes_total ?? transfer.bytes_total;
    merged.set(key, {
      ...mine,
      bytes: Math.max(mine.bytes, transfer.bytes),
      ...(total !== undefined ? { bytes_total: total } : {}),
      ...(mine.from_node === undefined && transfer.from_node !== undefined ? { from_node: transfer.from_node } : {}),
    });
  }
  return [...merged.values()].sort((a, b) => a.node_name.localeCompare(b.node_name) || a.model_ref.localeCompare(b.model_ref));
}

/** The keys of a `downloads` snapshot that are gone from the next one: transfers that ended. */
export function endedTransfers(before: readonly ModelTransfer[] | null, after: readonly ModelTransfer[] | null): string[] {
  const still = new Set((after ?? []).map(transferKey));
  return (before ?? []).map(transferKey).filter((key) => !still.has(key));
}
