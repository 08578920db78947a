import { memo } from "react";
import type { WorkerStats } from "../../../shared/contract/fleet-stats.js";
import type { RegisteredWorker } from "../../../shared/contract/workers.js";
import { DataRow } from "../../components/data-row.js";
import { SpinnerIcon, StopIcon } from "../../components/icons.js";
import { RowAction } from "../../components/row-action.js";
import { WorkerStateBadge } from "../../components/status-badge.js";
import { LogsButton } from "../logs/logs-button.js";
import { ModelName } from "./model-name.js";
import { SlotGauge } from "./slot-gauge.js";
import { useStopWorker } from "./use-stop-worker.js";
import { VramGauge } from "./vram-gauge.js";
import { WorkerActivityCell } from "./worker-activity-cell.js";
import { WorkerShards } from "./worker-shards.js";

const CHIP = "inline-block rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300";

/**
 * One worker: where it runs (node, backend, engine, and the nodes holding the rest of a split
 * model), its model, its state, load and recent jobs, and its Stop button. Memoised: the store
 * keeps an unchanged worker's object, so a change to another worker does not render this row.
 */
export const WorkerRow = memo(function WorkerRow({
  worker,
  stats,
  vramOnDevice,
  index,
  measure,
}: {
  readonly worker: RegisteredWorker;
  readonly stats: WorkerStats | undefined;
  readonly vramOnDevice: number;
  /** Its place in the virtualised table, which measures it. */
  readonly index: number;
  readonly measure: (element: Element | null) => void;
}) {
  const { stopping, stop } = useStopWorker(worker);
  const used = Math.max(0, worker.slots_total - worker.slots_available);

  return (
    <DataRow testId={`worker-row-${worker.id}`} index={index} measure={measure}>
      <td className="td">
        <div className="font-mono text-[13px] font-medium">{worker.id}</div>
        <div className="max-w-40 truncate text-xs text-zinc-500 dark:text-zinc-400" title={worker.url}>
          {worker.url}
        </div>
      </td>
      <td className="td whitespace-nowrap text-zinc-700 dark:text-zinc-300">
        <div>{worker.node_name}</div>
        <div className="mt-0.5 flex gap-1" data-testid="worker-engine">
          <span className={CHIP}>
            {worker.backend}
            {worker.backend === "cpu" && worker.device === 0 ? "" : `:${worker.device}`}
          </span>
          {/* node-llama-cpp is the default: only the other engine is named. */}
          {worker.engine === "llama-server" ? (
            <span className={CHIP} title="Runs on llama.cpp's llama-server">
              llama-server
            </span>
          ) : null}
        </div>
        {worker.shards?.length ? <WorkerShards shards={worker.shards} /> : null}
      </td>
      <td className="td">
        <ModelName modelRef={worker.model_ref} />
      </td>
      <td className="td" data-testid="worker-state">
        <WorkerStateBadge state={worker.state} />
      </td>
      <td className="td">
        <SlotGauge used={used} total={worker.slots_total} />
      </td>
      <td className="td">
        <WorkerActivityCell stats={stats} />
      </td>
      <td className="td text-right tabular-nums text-zinc-700 dark:text-zinc-300">
        <VramGauge bytes={worker.vram_bytes} onDevice={vramOnDevice} where={`${worker.node_name} ${worker.backend}:${worker.device}`} />
      </td>
      <td className="td text-right whitespace-nowrap">
        <LogsButton target={{ node: worker.node_name, worker: worker.id }} wordFrom="2xl" />
        <RowAction
          danger
          label={`Stop ${worker.id}`}
          wordFrom="2xl"
          icon={stopping ? <SpinnerIcon className="size-4" /> : <StopIcon className="size-4" />}
          text={stopping ? "Stopping…" : "Stop"}
          disabled={stopping}
          onClick={() => void stop()}
        />
      </td>
    </DataRow>
  );
});
