import { useState } from "react";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { CpuIcon, SpinnerIcon, StopIcon } from "../components/icons.js";
import { useNotify } from "../components/notices.js";
import { EmptyState, LoadingState, PageHeader } from "../components/page.js";
import { WorkerStateBadge } from "../components/status-badge.js";
import { describeError } from "../lib/error-text.js";
import { formatBytes } from "../lib/format.js";
import { useApi, useFleet } from "../state/fleet-context.js";

/** The Workers view: every inference process on every node, live. */
export function WorkersView() {
  const { workers, nodes } = useFleet();
  return (
    <>
      <PageHeader title="Workers" description="One model in one process on a node. Updates live as they change." />
      {workers === null ? (
        <LoadingState label="Waiting for the queen…" />
      ) : workers.length === 0 ? (
        <EmptyState icon={<CpuIcon className="size-6" />} title="No workers running">
          {nodes !== null && nodes.length === 0 ? (
            <p>
              Workers run on your nodes.{" "}
              <a href="#/nodes" className="font-medium text-amber-700 underline underline-offset-2 dark:text-amber-300">
                Add a machine
              </a>{" "}
              first.
            </p>
          ) : (
            <p>
              A worker appears here the moment it has loaded its model. Start one by asking for a model, for
              example <code className="kbd">rbee-keeper infer --node NAME --model tinyllama --prompt "hello"</code>.
            </p>
          )}
        </EmptyState>
      ) : (
        <WorkersTable workers={workers} />
      )}
    </>
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
            <WorkerRow key={worker.id} worker={worker} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WorkerRow({ worker }: { readonly worker: RegisteredWorker }) {
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
      <td className="td text-right tabular-nums text-zinc-700 dark:text-zinc-300">{formatBytes(worker.vram_bytes)}</td>
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

const MAX_PIPS = 12;

function SlotGauge({ used, total }: { readonly used: number; readonly total: number }) {
  const pips = Math.min(total, MAX_PIPS);
  const filled = total === 0 ? 0 : Math.round((used / total) * pips);
  return (
    <div className="flex items-center gap-2" title={`${used} of ${total} slots in use`}>
      <span className="tabular-nums text-zinc-700 dark:text-zinc-300" data-testid="worker-slots">
        {used}/{total}
      </span>
      <span aria-hidden="true" className="flex gap-0.5">
        {Array.from({ length: pips }, (_, i) => (
          <span
            key={i}
            className={`h-2.5 w-1.5 rounded-[2px] ${i < filled ? "bg-violet-500" : "bg-zinc-200 dark:bg-zinc-700"}`}
          />
        ))}
      </span>
    </div>
  );
}
