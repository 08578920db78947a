import { memo } from "react";
import type { Beehive } from "../../../shared/contract/nodes.js";
import { DATA_BODY } from "../../components/data-table.js";
import { DataRow } from "../../components/data-row.js";
import { TrashIcon } from "../../components/icons.js";
import { RowAction } from "../../components/row-action.js";
import { NodeStatusBadge } from "../../components/status-badge.js";
import { absoluteTime, formatAddress, relativeTime } from "../../lib/format.js";
import type { OperationState } from "../../state/operations-store.js";
import { LogsButton } from "../logs/logs-button.js";
import { InstallButton } from "./install-button.js";
import { InstallProgress } from "./install-progress.js";
import { NodeDevices } from "./node-devices.js";
import { NodeEnginesRow } from "./node-engines-row.js";
import { NodeGpusRow } from "./node-gpus-row.js";
import { useNodeDevices } from "../../state/use-node-devices.js";

/**
 * One node, under it its engines and its GPUs' live figures, and the progress of its install when
 * one ran in this window: one <tbody>, which the virtualised table measures. Memoised: it renders
 * again only when its own node, figures, count or install changed.
 */
export const NodeRow = memo(function NodeRow({
  node,
  workers,
  now,
  install,
  onInstall,
  onRemove,
  index,
  measure,
}: {
  readonly node: Beehive;
  readonly workers: number;
  readonly now: number;
  readonly install: OperationState | undefined;
  readonly onInstall: (nodeName: string) => void;
  readonly onRemove: (node: Beehive) => void;
  /** Its place in the virtualised table. */
  readonly index: number;
  readonly measure: (element: Element | null) => void;
}) {
  const devices = useNodeDevices(node.node_name, node.status === "ready");
  return (
    <tbody ref={measure} data-index={index} className={`${DATA_BODY} border-t border-zinc-100 dark:border-zinc-800`}>
      <DataRow testId={`node-row-${node.node_name}`}>
        {node.transport === "local" ? (
          <>
            <td className="td">
              <div className="font-medium">This computer</div>
              <div className="text-xs text-zinc-500 dark:text-zinc-400" title="Its hive runs from this installation: nothing to install">
                {node.node_name} · no SSH, nothing to install
              </div>
              <NodeDevices devices={devices} />
            </td>
            <td className="td text-zinc-500 dark:text-zinc-400">this computer</td>
            <td className="td text-zinc-400 dark:text-zinc-500">—</td>
          </>
        ) : (
          <>
            <td className="td">
              <div className="font-medium">{node.node_name}</div>
              <div
                className="max-w-48 truncate text-xs text-zinc-500 dark:text-zinc-400"
                title={`${node.git_repo_url} (${node.git_branch}) → ${node.install_path}`}
              >
                {node.install_path} · {node.git_branch}
              </div>
              <NodeDevices devices={devices} />
            </td>
            <td className="td font-mono text-[13px] text-zinc-700 dark:text-zinc-300">
              {formatAddress(node.ssh_host, node.ssh_port)}
            </td>
            <td className="td text-zinc-700 dark:text-zinc-300">{node.ssh_user}</td>
          </>
        )}
        <td className="td" data-testid="node-status">
          <NodeStatusBadge status={node.status} local={node.transport === "local"} />
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
          {/* This computer runs the queen's own installation: there is nothing to install or update. */}
          {node.transport === "local" ? null : <InstallButton node={node} running={install?.kind === "running"} onInstall={() => onInstall(node.node_name)} />}
          {node.status === "ready" ? <LogsButton target={{ node: node.node_name }} /> : null}
          <RowAction danger label={`Remove ${node.node_name}`} icon={<TrashIcon className="size-4" />} text="Remove" onClick={() => onRemove(node)} />
        </td>
      </DataRow>
      <NodeEnginesRow nodeName={node.node_name} devices={devices} columns={7} />
      <NodeGpusRow nodeName={node.node_name} devices={devices} columns={7} />
      {install ? (
        <tr data-testid={`install-row-${node.node_name}`} className="bg-zinc-50/60 dark:bg-zinc-900/60">
          <td colSpan={7} className="px-3 pt-1 pb-3">
            <InstallProgress nodeName={node.node_name} state={install} />
          </td>
        </tr>
      ) : null}
    </tbody>
  );
});
