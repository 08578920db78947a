import { useState } from "react";
import type { NodeModel } from "../../../shared/contract/fleet-models.js";
import { AddButton } from "../../components/add-button.js";
import { EmptyState } from "../../components/empty-state.js";
import { ErrorBox } from "../../components/error-box.js";
import { ModelsIcon, RefreshIcon } from "../../components/icons.js";
import { LoadingState } from "../../components/loading-state.js";
import { PageHeader } from "../../components/page-header.js";
import { describeCodedError } from "../../lib/error-text.js";
import { useFleet, useModels } from "../../state/fleet-context.js";
import { CopyModelDialog } from "./copy-model-dialog.js";
import { DownloadModelDialog } from "./download-model-dialog.js";
import { NodeModelsCard } from "./node-models-card.js";
import { RemoveModelDialog } from "./remove-model-dialog.js";
import { TransferList } from "./transfer-list.js";
import { useTransfers } from "./use-transfers.js";

/** A model file on a node, as the row actions name it. */
export interface ModelOnNode {
  readonly node_name: string;
  readonly model: NodeModel;
}

/** The Models view: every model file on every node, free disk, downloads and copies with progress, removal. */
export function ModelsView() {
  const { nodes } = useFleet();
  const { state, actions } = useModels();
  const transfers = useTransfers();
  const [downloading, setDownloading] = useState<string | null>(null);
  const [copying, setCopying] = useState<ModelOnNode | null>(null);
  const [removing, setRemoving] = useState<ModelOnNode | null>(null);
  const listed = state.nodes;
  const noNodes = nodes !== null && nodes.length === 0;
  const firstNode = listed?.find((node) => node.error === undefined)?.node_name ?? nodes?.[0]?.node_name ?? "";
  // Transfers to a node the listing does not hold (it failed, or the node is new) still show, above.
  const unlisted = transfers.filter((t) => !listed?.some((node) => node.node_name === t.node_name));

  return (
    <>
      <PageHeader
        title="Models"
        description="The model files on every node, and their free disk. A copy between nodes goes through this queen."
        actions={
          <>
            <button type="button" className="btn-secondary" disabled={state.loading} onClick={actions.refresh} aria-label="List the models again">
              <RefreshIcon className={`size-4 ${state.loading ? "animate-spin" : ""}`} />
              Refresh
            </button>
            <AddButton disabled={noNodes} onClick={() => setDownloading(firstNode)}>
              Download model
            </AddButton>
          </>
        }
      />
      {state.error ? <ErrorBox className="mb-4" text={describeCodedError(state.error)} title={`Could not list the models: ${describeCodedError(state.error).title}`} /> : null}
      {unlisted.length > 0 ? <TransferList transfers={unlisted} className="card mb-4" /> : null}
      {listed === null ? (
        state.error ? null : <LoadingState label="Asking every node for its models…" />
      ) : listed.length === 0 ? (
        <EmptyState icon={<ModelsIcon className="size-6" />} title="No node yet">
          <p>Models live on nodes. Add a machine in Nodes (or this computer), then download a model to it here.</p>
        </EmptyState>
      ) : (
        <div className="space-y-3">
          {listed.map((node) => (
            <NodeModelsCard
              key={node.node_name}
              node={node}
              transfers={transfers.filter((t) => t.node_name === node.node_name)}
              canCopy={listed.filter((other) => other.error === undefined).length > 1}
              onDownload={() => setDownloading(node.node_name)}
              onCopy={(model) => setCopying({ node_name: node.node_name, model })}
              onRemove={(model) => setRemoving({ node_name: node.node_name, model })}
            />
          ))}
        </div>
      )}
      <DownloadModelDialog node={downloading} onClose={() => setDownloading(null)} />
      <CopyModelDialog source={copying} nodes={listed ?? []} onClose={() => setCopying(null)} />
      <RemoveModelDialog target={removing} onDone={() => setRemoving(null)} />
    </>
  );
}
