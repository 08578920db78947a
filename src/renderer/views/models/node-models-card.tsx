import type { NodeModel, NodeModels } from "../../../shared/contract/fleet-models.js";
import { AlertIcon, DownloadIcon } from "../../components/icons.js";
import { describeCodedError } from "../../lib/error-text.js";
import { formatBytes } from "../../lib/format.js";
import type { TransferView } from "../../state/model-transfers.js";
import { FailedTransfers } from "./failed-transfers.js";
import { ModelsTable } from "./models-table.js";
import { TransferList } from "./transfer-list.js";

/** One node: its free disk, the transfers coming to it, its model files (or why they could not be listed). */
export function NodeModelsCard({
  node,
  transfers,
  canCopy,
  onDownload,
  onCopy,
  onRemove,
}: {
  readonly node: NodeModels;
  readonly transfers: readonly TransferView[];
  /** Another node could receive a copy. */
  readonly canCopy: boolean;
  readonly onDownload: () => void;
  readonly onCopy: (model: NodeModel) => void;
  readonly onRemove: (model: NodeModel) => void;
}) {
  const total = node.models.reduce((sum, model) => sum + model.bytes, 0);
  const error = node.error ? describeCodedError(node.error) : null;
  return (
    <section aria-label={`Models on ${node.node_name}`} data-testid={`models-node-${node.node_name}`} className="card">
      <header className="flex items-center gap-3 border-b border-zinc-200 bg-zinc-50/80 px-3 py-2 dark:border-zinc-800 dark:bg-zinc-900/80">
        <h2 className="font-mono text-[13px] font-semibold">{node.node_name}</h2>
        {error ? null : (
          <span className="text-xs text-zinc-500 dark:text-zinc-400">
            {node.models.length === 1 ? "1 model" : `${node.models.length} models`}
            {node.models.length > 0 ? ` · ${formatBytes(total)}` : ""}
          </span>
        )}
        <span className="ml-auto flex items-center gap-3">
          {node.disk_free_bytes !== undefined ? (
            <span data-testid="disk-free" className="text-xs tabular-nums text-zinc-600 dark:text-zinc-300" title="Free space on the disk of the node's models folder">
              {formatBytes(node.disk_free_bytes)} free
            </span>
          ) : null}
          <button type="button" className="btn-ghost" aria-label={`Download a model to ${node.node_name}`} onClick={onDownload} disabled={error !== null}>
            <DownloadIcon className="size-4" />
            <span className="sr-only sm:not-sr-only">Download</span>
          </button>
        </span>
      </header>
      {error ? (
        <p role="alert" className="flex items-start gap-2 px-3 py-2.5 text-sm">
          <AlertIcon className="mt-0.5 size-4 shrink-0 text-red-600 dark:text-red-400" />
          <span className="min-w-0">
            <span className="font-medium text-red-800 dark:text-red-300">Could not ask {node.node_name}: {error.title}. </span>
            <span className="text-zinc-700 dark:text-zinc-300">{error.message}</span>
          </span>
        </p>
      ) : null}
      <FailedTransfers node={node.node_name} />
      {transfers.length > 0 ? <TransferList transfers={transfers} className="border-b border-zinc-100 dark:border-zinc-800" /> : null}
      {error ? null : node.models.length === 0 ? (
        <p className="px-3 py-3 text-sm text-zinc-500 dark:text-zinc-400">No model files yet. Download one, or copy one here from another node.</p>
      ) : (
        <ModelsTable node={node.node_name} models={node.models} canCopy={canCopy} onCopy={onCopy} onRemove={onRemove} />
      )}
    </section>
  );
}
