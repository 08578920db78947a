import type { RegisteredWorker } from "../../../shared/contract/workers.js";
import { DataTable, type DataColumn } from "../../components/data-table.js";
import { SpacerRow, useVirtualRows } from "../../components/virtual-rows.js";
import { deviceKey } from "../../state/device-vram.js";
import { useFleetSelector } from "../../state/fleet-context.js";
import type { KeyedList } from "../../state/keyed-list.js";
import { WorkerRow } from "./worker-row.js";

// Fixed widths (the table's layout is fixed: see DataTable); VRAM takes the rest.
const COLUMNS: readonly DataColumn[] = [
  { label: "Worker", className: "w-[16%]" },
  { label: "Node", className: "w-[10%]" },
  { label: "Model", className: "w-[16%]" },
  { label: "State", className: "w-[8%]" },
  { label: "Slots", className: "w-[11%]" },
  { label: "Recent jobs", className: "w-[13%]" },
  { label: "VRAM", className: "text-right" },
];
/** The headings plus the actions column. */
const SPAN = COLUMNS.length + 1;
/** A one-line worker row's height in px, until each shown row is measured. */
const ROW_ESTIMATE = 69;

/**
 * Every registered worker, with its recent jobs and the VRAM rbee's workers hold on each one's
 * device. Virtualised: only the rows near the viewport are rendered, and each row renders again
 * only when its worker, its figures or its device's total changed.
 */
export function WorkersTable({ workers }: { readonly workers: KeyedList<RegisteredWorker> }) {
  const workerStats = useFleetSelector((state) => state.workerStats);
  const vramByDevice = useFleetSelector((state) => state.workerVram);
  const rows = useVirtualRows({ count: workers.size, estimate: ROW_ESTIMATE });
  return (
    <DataTable columns={COLUMNS} testId="workers-table" rowCount={workers.size} fixedLayout>
      <SpacerRow height={rows.before} columns={SPAN} anchorRef={rows.anchorRef} />
      {rows.items.map(({ index }) => {
        const worker = workers.at(index)!;
        return (
          <WorkerRow
            key={worker.id}
            index={index}
            measure={rows.measure}
            worker={worker}
            stats={workerStats.get(worker.id)}
            vramOnDevice={vramByDevice.get(deviceKey(worker)) ?? 0}
          />
        );
      })}
      <SpacerRow height={rows.after} columns={SPAN} />
    </DataTable>
  );
}
