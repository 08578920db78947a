import { useState } from "react";
import type { Beehive } from "../../../shared/contract/nodes.js";
import { AddButton } from "../../components/add-button.js";
import { EmptyState } from "../../components/empty-state.js";
import { ServerIcon } from "../../components/icons.js";
import { LoadingState } from "../../components/loading-state.js";
import { PageHeader } from "../../components/page-header.js";
import { useFleet } from "../../state/fleet-context.js";
import { AddNodeDialog } from "./add-node-dialog.js";
import { NodesTable } from "./nodes-table.js";
import { RemoveNodeDialog } from "./remove-node-dialog.js";

/** The Nodes view: every registered machine, adding one, removing one. */
export function NodesView() {
  const { nodes, workers } = useFleet();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Beehive | null>(null);

  const addButton = <AddButton onClick={() => setAdding(true)}>Add node</AddButton>;

  return (
    <>
      <PageHeader
        title="Nodes"
        description="Machines rbee reaches over SSH. Nothing on them listens beyond loopback."
        actions={nodes && nodes.length > 0 ? addButton : null}
      />
      {nodes === null ? (
        <LoadingState label="Waiting for the queen…" />
      ) : nodes.length === 0 ? (
        <EmptyState icon={<ServerIcon className="size-6" />} title="Add your first machine" action={addButton}>
          <p>
            rbee runs models on your own computers. Register a machine you can reach with SSH: rbee tests the
            connection, shows you its host key to confirm, then remembers it. No account, no open port.
          </p>
          <p className="mt-2">Then install rbee on it with one click, and chat with a model from the Chat view.</p>
        </EmptyState>
      ) : (
        <NodesTable nodes={nodes} workers={workers ?? []} onRemove={setRemoving} />
      )}
      <AddNodeDialog open={adding} onClose={() => setAdding(false)} />
      <RemoveNodeDialog node={removing} onDone={() => setRemoving(null)} />
    </>
  );
}
