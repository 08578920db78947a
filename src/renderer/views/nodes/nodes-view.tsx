import { useState } from "react";
import type { Beehive } from "../../../shared/contract/nodes.js";
import { AddButton } from "../../components/add-button.js";
import { EmptyState } from "../../components/empty-state.js";
import { ServerIcon } from "../../components/icons.js";
import { LoadingState } from "../../components/loading-state.js";
import { PageHeader } from "../../components/page-header.js";
import { localNodeOf } from "../../lib/local-node.js";
import { useFleetSelector } from "../../state/fleet-context.js";
import { AddNodeDialog } from "./add-node-dialog.js";
import { AddThisComputerButton } from "./add-this-computer-button.js";
import { FirstRunHint } from "./first-run-hint.js";
import { NodesTable } from "./nodes-table.js";
import { RemoveNodeDialog } from "./remove-node-dialog.js";

/** The Nodes view: every registered machine (this computer among them), adding one, removing one. */
export function NodesView() {
  const nodes = useFleetSelector((fleet) => fleet.nodes);
  const workers = useFleetSelector((fleet) => fleet.workers);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Beehive | null>(null);

  const addButton = <AddButton onClick={() => setAdding(true)}>Add node</AddButton>;
  // This computer can be added back once removed (or if the queen was started without it).
  const localNode = nodes ? localNodeOf(nodes.toArray()) : null;
  const thisComputer = nodes !== null && localNode === null;

  return (
    <>
      <PageHeader
        title="Nodes"
        description="This computer and the machines rbee reaches over SSH. Nothing on them listens beyond loopback."
        actions={
          nodes && nodes.size > 0 ? (
            <>
              {thisComputer ? <AddThisComputerButton /> : null}
              {addButton}
            </>
          ) : null
        }
      />
      {localNode !== null && workers?.size === 0 ? <FirstRunHint /> : null}
      {nodes === null ? (
        <LoadingState label="Waiting for the queen…" />
      ) : nodes.size === 0 ? (
        <EmptyState
          icon={<ServerIcon className="size-6" />}
          title="Add your first machine"
          action={
            <div className="flex flex-wrap justify-center gap-2">
              <AddThisComputerButton />
              <AddButton onClick={() => setAdding(true)}>Add node</AddButton>
            </div>
          }
        >
          <p>
            rbee runs models on your own computers. Start with this one: no SSH, nothing to install. Or register a
            machine you can reach with SSH: rbee tests the connection, shows you its host key to confirm, then
            remembers it. No account, no open port.
          </p>
          <p className="mt-2">Then chat with a model from the Chat view: the first message starts it.</p>
        </EmptyState>
      ) : (
        <NodesTable nodes={nodes} workers={workers} onRemove={setRemoving} />
      )}
      <AddNodeDialog open={adding} onClose={() => setAdding(false)} />
      <RemoveNodeDialog node={removing} onDone={() => setRemoving(null)} />
    </>
  );
}
