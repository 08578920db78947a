import { useState } from "react";
import { AddButton } from "../../components/add-button.js";
import { LoadingState } from "../../components/loading-state.js";
import { PageHeader } from "../../components/page-header.js";
import { useFleetSelector, useOperations } from "../../state/fleet-context.js";
import { SpawnCard } from "./spawn-card.js";
import { SpawnWorkerDialog } from "./spawn-worker-dialog.js";
import { WorkerExits } from "./worker-exits.js";
import { WorkersEmptyState } from "./workers-empty-state.js";
import { WorkersTable } from "./workers-table.js";

/** The Workers view: every inference process on every node, live; spawning one; stopping one. */
export function WorkersView() {
  const workers = useFleetSelector((fleet) => fleet.workers);
  const noNodes = useFleetSelector((fleet) => fleet.nodes?.size === 0);
  const { state } = useOperations();
  const [spawning, setSpawning] = useState(false);
  // Spawns that are over and succeeded are shown by their worker's row instead.
  const spawns = state.spawns.filter((op) => op.state.kind !== "done");

  const spawnButton = (
    <AddButton disabled={noNodes} onClick={() => setSpawning(true)}>
      Spawn worker
    </AddButton>
  );

  return (
    <>
      <PageHeader
        title="Workers"
        description="One model in one process on a node. Updates live as they change."
        actions={workers && workers.size > 0 ? spawnButton : null}
      />
      <WorkerExits />
      {spawns.length > 0 ? (
        <div className="mb-4 space-y-2">
          {spawns.map((op) => (
            <SpawnCard key={op.id} operation={op} />
          ))}
        </div>
      ) : null}
      {workers === null ? (
        <LoadingState label="Waiting for the queen…" />
      ) : workers.size === 0 ? (
        <WorkersEmptyState noNodes={noNodes} action={noNodes ? null : spawnButton} />
      ) : (
        <WorkersTable workers={workers} />
      )}
      <SpawnWorkerDialog open={spawning} onClose={() => setSpawning(false)} />
    </>
  );
}
