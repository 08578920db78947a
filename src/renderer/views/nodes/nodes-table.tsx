import type { Beehive } from "../../../shared/contract/nodes.js";
import type { RegisteredWorker } from "../../../shared/contract/workers.js";
import { DataTable } from "../../components/data-table.js";
import { useNow } from "../../lib/use-now.js";
import { useOperations } from "../../state/fleet-context.js";
import { NodeRow } from "./node-row.js";

const COLUMNS = ["Name", "Address", "User", "Status", "Workers", "Last connected"] as const;

/** The registered nodes, each with its worker count and the install started on it from this window. */
export function NodesTable({
  nodes,
  workers,
  onRemove,
}: {
  readonly nodes: readonly Beehive[];
  readonly workers: readonly RegisteredWorker[];
  readonly onRemove: (node: Beehive) => void;
}) {
  const now = useNow();
  const { state: operations, actions } = useOperations();
  const workerCounts = countBy(workers, (w) => w.node_name);
  return (
    <DataTable columns={COLUMNS}>
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
    </DataTable>
  );
}

function countBy<T>(items: readonly T[], key: (item: T) => string): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
