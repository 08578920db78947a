import { useState } from "react";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { CloseIcon, CpuIcon, PlusIcon, SpinnerIcon, StopIcon } from "../components/icons.js";
import { useNotify } from "../components/notices.js";
import { EmptyState } from "../components/empty-state.js";
import { LoadingState } from "../components/loading-state.js";
import { PageHeader } from "../components/page-header.js";
import { ProgressBar } from "../components/progress-bar.js";
import { UsageBar } from "../components/usage-bar.js";
import { WorkerStateBadge } from "../components/status-badge.js";
import { describeCodedError, describeError } from "../lib/error-text.js";
import { formatBytes } from "../lib/format.js";
import { shortModelName } from "../lib/model-choices.js";
import { describeProgress } from "../lib/progress-text.js";
import type { SpawnOperation } from "../state/operations-store.js";
import { useApi, useFleet, useOperations } from "../state/fleet-context.js";
import { SpawnWorkerDialog } from "./spawn-worker-dialog.js";

/** The Workers view: every inference process on every node, live; spawning one; stopping one. */
export function WorkersView() {
  const { workers, nodes } = useFleet();
  const { state } = useOperations();
  const [spawning, setSpawning] = useState(false);
  const noNodes = nodes !== null && nodes.length === 0;
  // Spawns that are over and succeeded are shown by their worker's row instead.
  const spawns = state.spawns.filter((op) => op.state.kind !== "done");

  const spawnButton = (
    <button type="button" className="btn-primary" disabled={noNodes} onClick={() => setSpawning(true)}>
      <PlusIcon className="size-4" />
      Spawn worker
    </button>
  );

  return (
    <>
      <PageHeader
        title="Workers"
        description="One model in one process on a node. Updates live as they change."
        actions={workers && workers.length > 0 ? spawnButton : null}
      />
      {spawns.length > 0 ? (
        <div className="mb-4 space-y-2">
          {spawns.map((op) => (
            <SpawnCard key={op.id} operation={op} />
          ))}
        </div>
      ) : null}
      {workers === null ? (
        <LoadingState label="Waiting for the queen…" />
      ) : workers.length === 0 ? (
        <EmptyState icon={<CpuIcon className="size-6" />} title="No workers running" action={noNodes ? null : spawnButton}>
          {noNodes ? (
            <p>
              Workers run on your nodes.{" "}
              <a href="#/nodes" className="font-medium text-amber-700 underline underline-offset-2 dark:text-amber-300">
                Add a machine
              </a>{" "}
              first.
            </p>
          ) : (
            <p>
              A worker holds one model in memory, ready to answer. Spawn one here, or just ask a model in{" "}
              <a href="#/chat" className="font-medium text-amber-700 underline underline-offset-2 dark:text-amber-300">
                Chat
              </a>
              : a worker starts by itself and appears here the moment it has loaded.
            </p>
          )}
        </EmptyState>
      ) : (
        <WorkersTable workers={workers} />
      )}
      <SpawnWorkerDialog open={spawning} onClose={() => setSpawning(false)} />
    </>
  );
}

/** A spawn in flight (or failed) that was started from this view. */
function SpawnCard({ operation }: { readonly operation: SpawnOperation }) {
  const { actions } = useOperations();
  const { request, state } = operation;
  const title = `${shortModelName(request.model_ref)} on ${request.node_name} (${request.backend}:${request.device})`;
  if (state.kind === "failed") {
    const text = describeCodedError(state);
    return (
      <div role="alert" className="card flex items-start gap-3 border-red-600/25 p-3 text-sm dark:border-red-400/25">
        <div className="min-w-0 flex-1">
          <p className="font-medium text-red-800 dark:text-red-300">
            Spawn of {title} failed: {text.title}
          </p>
          <p className="mt-0.5 break-words text-zinc-700 dark:text-zinc-300">{text.message}</p>
          {text.hint ? <p className="mt-0.5 text-zinc-600 dark:text-zinc-400">{text.hint}</p> : null}
        </div>
        <button type="button" className="btn-ghost" aria-label="Dismiss" onClick={() => actions.dismissSpawn(operation.id)}>
          <CloseIcon className="size-4" />
        </button>
      </div>
    );
  }
  const view = state.kind === "running" && state.progress ? describeProgress(state.progress) : null;
  return (
    <div className="card p-3 text-sm" data-testid="spawn-card">
      <div className="mb-1.5 flex items-baseline justify-between gap-3">
        <p className="min-w-0 truncate">
          <span className="font-medium">Spawning {title}</span>
          <span className="text-zinc-500 dark:text-zinc-400"> · {view ? `${view.step}: ${view.message}` : "starting"}</span>
        </p>
        <div className="flex shrink-0 items-center gap-2">
          {view?.amount ? <span className="text-xs tabular-nums text-zinc-500">{view.amount}</span> : null}
          <button type="button" className="btn-ghost" onClick={() => actions.cancelSpawn(operation.id)}>
            Cancel
          </button>
        </div>
      </div>
      <ProgressBar fraction={view?.fraction ?? null} label={`Spawning ${title}`} />
    </div>
  );
}

function WorkersTable({ workers }: { readonly workers: readonly RegisteredWorker[] }) {
  return (
    <div className="card">
      <table className="w-full text-sm">
        <thead className="border-b border-zinc-200 bg-zinc-50/80 dark:border-zinc-800 dark:bg-zinc-900/80">
          <tr>
            <th className="th">Worker</th>
            <th className="th">Node</th>
            <th className="th">Model</th>
            <th className="th">Backend</th>
            <th className="th">State</th>
            <th className="th">Slots</th>
            <th className="th text-right">VRAM</th>
            <th className="th w-0">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {workers.map((worker) => (
            <WorkerRow key={worker.id} worker={worker} vramOnDevice={vramOnDevice(workers, worker)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The VRAM all listed workers use on this worker's node and device. */
function vramOnDevice(workers: readonly RegisteredWorker[], worker: RegisteredWorker): number {
  return workers
    .filter((w) => w.node_name === worker.node_name && w.backend === worker.backend && w.device === worker.device)
    .reduce((sum, w) => sum + (w.vram_bytes ?? 0), 0);
}

function WorkerRow({ worker, vramOnDevice }: { readonly worker: RegisteredWorker; readonly vramOnDevice: number }) {
  const api = useApi();
  const notify = useNotify();
  const [stopping, setStopping] = useState(false);
  const used = Math.max(0, worker.slots_total - worker.slots_available);

  const stop = async (): Promise<void> => {
    setStopping(true);
    try {
      await api.stopWorker(worker.id);
      notify({ tone: "success", title: `Stopped ${worker.id}` });
    } catch (error) {
      const text = describeError(error);
      notify({ tone: "error", title: `Could not stop ${worker.id}: ${text.title}`, message: text.message });
      setStopping(false);
    }
  };

  return (
    <tr data-testid={`worker-row-${worker.id}`} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
      <td className="td">
        <div className="font-mono text-[13px] font-medium">{worker.id}</div>
        <div className="max-w-48 truncate text-xs text-zinc-500 dark:text-zinc-400" title={worker.url}>
          {worker.url}
        </div>
      </td>
      <td className="td text-zinc-700 dark:text-zinc-300">{worker.node_name}</td>
      <td className="td">
        <ModelName modelRef={worker.model_ref} />
      </td>
      <td className="td">
        <span className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
          {worker.backend}
          {worker.backend === "cpu" && worker.device === 0 ? "" : `:${worker.device}`}
        </span>
      </td>
      <td className="td" data-testid="worker-state">
        <WorkerStateBadge state={worker.state} />
      </td>
      <td className="td">
        <SlotGauge used={used} total={worker.slots_total} />
      </td>
      <td className="td text-right tabular-nums text-zinc-700 dark:text-zinc-300">
        <VramGauge bytes={worker.vram_bytes} onDevice={vramOnDevice} where={`${worker.node_name} ${worker.backend}:${worker.device}`} />
      </td>
      <td className="td text-right">
        <button
          type="button"
          className="btn-ghost-danger"
          aria-label={`Stop ${worker.id}`}
          title={`Stop ${worker.id}`}
          disabled={stopping}
          onClick={() => void stop()}
        >
          {stopping ? <SpinnerIcon className="size-4" /> : <StopIcon className="size-4" />}
          <span className="sr-only sm:not-sr-only">{stopping ? "Stopping…" : "Stop"}</span>
        </button>
      </td>
    </tr>
  );
}

// Long refs (hf:org/repo/file.gguf) read best as their file name, with the full ref on hover.
function ModelName({ modelRef }: { readonly modelRef: string }) {
  const slash = modelRef.lastIndexOf("/");
  const name = slash >= 0 ? modelRef.slice(slash + 1) : modelRef;
  const source = slash >= 0 ? modelRef.slice(0, slash + 1) : null;
  return (
    <div className="max-w-64 min-w-0" title={modelRef}>
      <div className="truncate font-medium">{name}</div>
      {source ? <div className="truncate text-xs text-zinc-500 dark:text-zinc-400">{source}</div> : null}
    </div>
  );
}

function SlotGauge({ used, total }: { readonly used: number; readonly total: number }) {
  return (
    <div className="flex items-center gap-2" title={`${used} of ${total} slots in use`}>
      <UsageBar used={used} total={total} label="Slots in use" />
      <span className="tabular-nums text-zinc-700 dark:text-zinc-300" data-testid="worker-slots">
        {used}/{total}
      </span>
    </div>
  );
}

// The hive reports what a worker holds, not the card's size: the bar shows this worker's share of
// what rbee's workers hold on that device.
function VramGauge({ bytes, onDevice, where }: { readonly bytes: number | null; readonly onDevice: number; readonly where: string }) {
  if (bytes === null) return <span title="This worker holds no GPU memory (cpu), or its hive did not say">—</span>;
  return (
    <div
      className="flex items-center justify-end gap-2"
      title={`${formatBytes(bytes)} of the ${formatBytes(onDevice)} rbee's workers hold on ${where}`}
    >
      <UsageBar used={bytes} total={Math.max(onDevice, bytes)} label="VRAM held" tone="share" />
      <span>{formatBytes(bytes)}</span>
    </div>
  );
}
