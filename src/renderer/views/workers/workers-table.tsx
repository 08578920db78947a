import type { RegisteredWorker } from "../../../shared/contract/workers.js";
import { DataTable, type DataColumn } from "../../components/data-table.js";
import { useFleet } from "../../state/fleet-context.js";
import { WorkerRow } from "./worker-row.js";

const COLUMNS: readonly DataColumn[] = ["Worker", "Node", "Model", "State", "Slots", "Recent jobs", { label: "VRAM", className: "text-right" }];

/** Every registered worker, with its recent jobs and the VRAM rbee's workers hold on each one's device. */
export function WorkersTable({ workers }: { readonly workers: readonly RegisteredWorker[] }) {
  const { workerStats } = useFleet();
  return (
    <DataTable columns={COLUMNS}>
      {workers.map((worker) => (
        <WorkerRow key={worker.id} worker={worker} stats={workerStats.get(worker.id)} vramOnDevice={vramOnDevice(workers, worker)} />
      ))}
    </DataTable>
  );
}

/** The VRAM all listed workers use on this worker's node and device. */
function vramOnDevice(workers: readonly RegisteredWorker[], worker: RegisteredWorker): number {
  return workers
    .filter((w) => w.node_name === worker.node_name && w.backend === worker.backend && w.device === worker.device)
    .reduce((sum, w) => sum + (w.vram_bytes ?? 0), 0);
}
