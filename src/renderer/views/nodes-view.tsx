import { Fragment, useEffect, useState } from "react";
import type { HiveDevices } from "../../shared/contract/hive.js";
import type { Beehive } from "../../shared/contract/nodes.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { CheckIcon, DownloadIcon, PlusIcon, RefreshIcon, ServerIcon, SpinnerIcon, TrashIcon } from "../components/icons.js";
import { useNotify } from "../components/notices.js";
import { EmptyState } from "../components/empty-state.js";
import { LoadingState } from "../components/loading-state.js";
import { PageHeader } from "../components/page-header.js";
import { ProgressBar } from "../components/progress-bar.js";
import { NodeStatusBadge } from "../components/status-badge.js";
import { devicesSummary, devicesTitle } from "../lib/devices.js";
import { describeCodedError, describeError } from "../lib/error-text.js";
import { absoluteTime, formatAddress, relativeTime } from "../lib/format.js";
import { describeProgress } from "../lib/progress-text.js";
import { useNow } from "../lib/use-now.js";
import type { OperationState } from "../state/operations-store.js";
import { useApi, useFleet, useOperations } from "../state/fleet-context.js";
import { AddNodeDialog } from "./add-node-dialog.js";

/** The Nodes view: every registered machine, adding one, removing one. */
export function NodesView() {
  const { nodes, workers } = useFleet();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Beehive | null>(null);

  const addButton = (
    <button type="button" className="btn-primary" onClick={() => setAdding(true)}>
      <PlusIcon className="size-4" />
      Add node
    </button>
  );

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
        <NodesTable
          nodes={nodes}
          workerCounts={countBy(workers ?? [], (w) => w.node_name)}
          onRemove={setRemoving}
        />
      )}
      <AddNodeDialog open={adding} onClose={() => setAdding(false)} />
      <RemoveNodeDialog node={removing} onDone={() => setRemoving(null)} />
    </>
  );
}

function NodesTable({
  nodes,
  workerCounts,
  onRemove,
}: {
  readonly nodes: readonly Beehive[];
  readonly workerCounts: ReadonlyMap<string, number>;
  readonly onRemove: (node: Beehive) => void;
}) {
  const now = useNow();
  const { state: operations, actions } = useOperations();
  return (
    <div className="card">
      <table className="w-full text-sm">
        <thead className="border-b border-zinc-200 bg-zinc-50/80 dark:border-zinc-800 dark:bg-zinc-900/80">
          <tr>
            <th className="th">Name</th>
            <th className="th">Address</th>
            <th className="th">User</th>
            <th className="th">Status</th>
            <th className="th">Workers</th>
            <th className="th">Last connected</th>
            <th className="th w-0">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {nodes.map((node) => (
            <NodeRow
              key={node.node_name}
              node={node}
              workers={workerCounts.get(node.node_name) ?? 0}
              now={now}
              install={operations.installs[node.node_name]}
              onInstall={() => actions.install(node.node_name)}
              onRemove={() => onRemove(node)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One node, and under it the progress of its install when one ran in this window. */
function NodeRow({
  node,
  workers,
  now,
  install,
  onInstall,
  onRemove,
}: {
  readonly node: Beehive;
  readonly workers: number;
  readonly now: number;
  readonly install: OperationState | undefined;
  readonly onInstall: () => void;
  readonly onRemove: () => void;
}) {
  return (
    <Fragment>
      <tr data-testid={`node-row-${node.node_name}`} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
        <td className="td">
          <div className="font-medium">{node.node_name}</div>
          <div
            className="max-w-64 truncate text-xs text-zinc-500 dark:text-zinc-400"
            title={`${node.git_repo_url} (${node.git_branch}) → ${node.install_path}`}
          >
            {node.install_path} · {node.git_branch}
          </div>
          {node.status === "ready" ? <NodeDevices nodeName={node.node_name} /> : null}
        </td>
        <td className="td font-mono text-[13px] text-zinc-700 dark:text-zinc-300">
          {formatAddress(node.ssh_host, node.ssh_port)}
        </td>
        <td className="td text-zinc-700 dark:text-zinc-300">{node.ssh_user}</td>
        <td className="td" data-testid="node-status">
          <NodeStatusBadge status={node.status} />
        </td>
        <td className="td tabular-nums text-zinc-700 dark:text-zinc-300">{workers}</td>
        <td className="td whitespace-nowrap text-zinc-600 dark:text-zinc-400">
          <time
            dateTime={
              node.last_connected_unix !== null ? new Date(node.last_connected_unix * 1000).toISOString() : undefined
            }
            title={absoluteTime(node.last_connected_unix)}
          >
            {relativeTime(node.last_connected_unix, now)}
          </time>
        </td>
        <td className="td text-right whitespace-nowrap">
          <InstallButton node={node} running={install?.kind === "running"} onInstall={onInstall} />
          <button
            type="button"
            className="btn-ghost-danger"
            aria-label={`Remove ${node.node_name}`}
            title={`Remove ${node.node_name}`}
            onClick={onRemove}
          >
            <TrashIcon className="size-4" />
            <span className="sr-only sm:not-sr-only">Remove</span>
          </button>
        </td>
      </tr>
      {install ? (
        <tr data-testid={`install-row-${node.node_name}`} className="bg-zinc-50/60 dark:bg-zinc-900/60">
          <td colSpan={7} className="px-3 pt-1 pb-3">
            <InstallProgress nodeName={node.node_name} state={install} />
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

function InstallButton({ node, running, onInstall }: { readonly node: Beehive; readonly running: boolean; readonly onInstall: () => void }) {
  const update = node.status === "ready";
  const verb = update ? "Update" : "Install";
  return (
    <button
      type="button"
      className="btn-ghost"
      disabled={running}
      aria-label={`${verb} ${node.node_name}`}
      title={
        update
          ? `Fetch ${node.git_branch} again on ${node.node_name} and restart its hive if anything changed`
          : `Clone ${node.git_repo_url} (${node.git_branch}) into ${node.install_path} on ${node.node_name} and start its hive`
      }
      onClick={onInstall}
    >
      {running ? <SpinnerIcon className="size-4" /> : update ? <RefreshIcon className="size-4" /> : <DownloadIcon className="size-4" />}
      <span className="sr-only sm:not-sr-only">{running ? "Installing…" : verb}</span>
    </button>
  );
}

/** The install stream of one node: steps as they happen, then the final status or what went wrong. */
function InstallProgress({ nodeName, state }: { readonly nodeName: string; readonly state: OperationState }) {
  switch (state.kind) {
    case "running": {
      const view = state.progress ? describeProgress(state.progress) : null;
      return (
        <div data-testid="install-progress" className="max-w-2xl">
          <div className="mb-1.5 flex items-baseline justify-between gap-3 text-xs">
            <span className="min-w-0 truncate text-zinc-700 dark:text-zinc-300">
              <span className="font-medium">{view ? view.step : "Starting"}</span>
              {view ? <span className="text-zinc-500 dark:text-zinc-400"> · {view.message}</span> : null}
            </span>
            {view?.amount ? <span className="shrink-0 tabular-nums text-zinc-500">{view.amount}</span> : null}
          </div>
          <ProgressBar fraction={view?.fraction ?? null} label={`Installing rbee on ${nodeName}`} />
        </div>
      );
    }
    case "done":
      return (
        <p data-testid="install-result" className="flex items-center gap-1.5 text-xs text-emerald-800 dark:text-emerald-300">
          <CheckIcon className="size-3.5" />
          {state.message}
        </p>
      );
    case "failed": {
      const text = describeCodedError(state);
      return (
        <div data-testid="install-result" role="alert" className="max-w-3xl text-xs">
          <p className="font-medium text-red-700 dark:text-red-300">Install failed: {text.title}</p>
          <p className="mt-0.5 font-mono text-[11.5px] break-words whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">{text.message}</p>
          {text.hint ? <p className="mt-1 text-zinc-600 dark:text-zinc-400">{text.hint}</p> : null}
        </div>
      );
    }
  }
}

function RemoveNodeDialog({ node, onDone }: { readonly node: Beehive | null; readonly onDone: () => void }) {
  const api = useApi();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);

  const remove = async (): Promise<void> => {
    if (!node) return;
    setBusy(true);
    try {
      await api.removeNode(node.node_name);
      notify({ tone: "success", title: `Removed ${node.node_name}` });
    } catch (error) {
      const text = describeError(error);
      notify({ tone: "error", title: `Could not remove ${node.node_name}: ${text.title}`, message: text.message });
    } finally {
      setBusy(false);
      onDone();
    }
  };

  return (
    <ConfirmDialog
      open={node !== null}
      title={node ? `Remove ${node.node_name}?` : ""}
      confirmLabel={busy ? "Removing…" : "Remove node"}
      busy={busy}
      onConfirm={() => void remove()}
      onCancel={() => {
        if (!busy) onDone();
      }}
    >
      {node ? (
        <p>
          rbee forgets <strong className="font-medium text-zinc-900 dark:text-zinc-100">{node.node_name}</strong> (
          {node.ssh_user}@{formatAddress(node.ssh_host, node.ssh_port)}) and stops its workers first. Nothing is
          deleted on the machine: the install in <code className="kbd">{node.install_path}</code> stays.
        </p>
      ) : null}
    </ConfirmDialog>
  );
}

function countBy<T>(items: readonly T[], key: (item: T) => string): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** What a ready node has to run workers on (backends, GPUs, memory), asked of its hive once. */
function NodeDevices({ nodeName }: { readonly nodeName: string }) {
  const api = useApi();
  const [devices, setDevices] = useState<HiveDevices | null>(null);
  useEffect(() => {
    let live = true;
    api.nodeDevices(nodeName).then(
      (found) => live && setDevices(found),
      () => live && setDevices(null),
    );
    return () => {
      live = false;
    };
  }, [api, nodeName]);
  if (!devices) return null;
  return (
    <div className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="node-devices" title={devicesTitle(devices)}>
      {devicesSummary(devices)}
    </div>
  );
}
