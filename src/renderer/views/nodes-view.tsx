import { useState } from "react";
import type { Beehive } from "../../shared/contract/nodes.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { PlusIcon, ServerIcon, TrashIcon } from "../components/icons.js";
import { useNotify } from "../components/notices.js";
import { EmptyState, LoadingState, PageHeader } from "../components/page.js";
import { NodeStatusBadge } from "../components/status-badge.js";
import { describeError } from "../lib/error-text.js";
import { absoluteTime, formatAddress, relativeTime } from "../lib/format.js";
import { useNow } from "../lib/use-now.js";
import { useApi, useFleet } from "../state/fleet-context.js";
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
            <tr
              key={node.node_name}
              data-testid={`node-row-${node.node_name}`}
              className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40"
            >
              <td className="td">
                <div className="font-medium">{node.node_name}</div>
                <div
                  className="max-w-64 truncate text-xs text-zinc-500 dark:text-zinc-400"
                  title={`${node.git_repo_url} (${node.git_branch}) → ${node.install_path}`}
                >
                  {node.install_path} · {node.git_branch}
                </div>
              </td>
              <td className="td font-mono text-[13px] text-zinc-700 dark:text-zinc-300">
                {formatAddress(node.ssh_host, node.ssh_port)}
              </td>
              <td className="td text-zinc-700 dark:text-zinc-300">{node.ssh_user}</td>
              <td className="td" data-testid="node-status">
                <NodeStatusBadge status={node.status} />
              </td>
              <td className="td tabular-nums text-zinc-700 dark:text-zinc-300">
                {workerCounts.get(node.node_name) ?? 0}
              </td>
              <td className="td whitespace-nowrap text-zinc-600 dark:text-zinc-400">
                <time
                  dateTime={
                    node.last_connected_unix !== null
                      ? new Date(node.last_connected_unix * 1000).toISOString()
                      : undefined
                  }
                  title={absoluteTime(node.last_connected_unix)}
                >
                  {relativeTime(node.last_connected_unix, now)}
                </time>
              </td>
              <td className="td text-right">
                <button
                  type="button"
                  className="btn-ghost-danger"
                  aria-label={`Remove ${node.node_name}`}
                  title={`Remove ${node.node_name}`}
                  onClick={() => onRemove(node)}
                >
                  <TrashIcon className="size-4" />
                  <span className="sr-only sm:not-sr-only">Remove</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
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
