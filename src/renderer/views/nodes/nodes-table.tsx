import { useMemo } from "react";
import type { Beehive } from "../../../shared/contract/nodes.js";
import type { RegisteredWorker } from "../../../shared/contract/workers.js";
import { DataTable } from "../../components/data-table.js";
import { SpacerRow, useVirtualRows } from "../../components/virtual-rows.js";
import { useNow } from "../../lib/use-now.js";
import { useOperations } from "../../state/fleet-context.js";
import type { KeyedList } from "../../state/keyed-list.js";
import { NodeRow } from "./node-row.js";

const COLUMNS = ["Name", "Address", "User", "Status", "Workers", "Last connected"] as const;
/** The headings plus the actions column. */
const SPAN = COLUMNS.length + 1;
/** A node's rows' height in px (without engines or GPUs under it), until each shown node is measured. */
const NODE_ESTIMATE = 53;

/**
 * The registered nodes, each with its worker count and the install started on it from this
 * window. Virtualised like the Workers table: each node is one <tbody> of its rows, measured
 * once shown, and renders again only when its node, count or install changed.
 */
export function NodesTable({
  nodes,
  workers,
  onRemove,
}: {
  readonly nodes: KeyedList<Beehive>;
  readonly workers: KeyedList<RegisteredWorker> | null;
  readonly onRemove: (node: Beehive) => void;
}) {
  const now = useNow();
  const { state: operations, actions } = useOperations();
  const workerCounts = useMemo(() => countBy(workers ?? [], (w) => w.node_name), [workers]);
  const rows = useVirtualRows({ count: nodes.size, estimate: NODE_ESTIMATE });
  return (
    <DataTable columns={COLUMNS} testId="nodes-table" rowCount={nodes.size} ownBodies>
      <tbody ref={rows.anchorRef}>
        <SpacerRow height={rows.before} columns={SPAN} />
      </tbody>
      {rows.items.map(({ index }) => {
        const node = nodes.at(index)!;
        return (
          <NodeRow
            key={node.node_name}
            index={index}
            measure={rows.measure}
            node={node}
            workers={workerCounts.get(node.node_name) ?? 0}
            now={now}
            install={operations.installs[node.node_name]}
            onInstall={actions.install}
            onRemove={onRemove}
          />
        );
      })}
      <tbody>
        <SpacerRow height={rows.after} columns={SPAN} />
      </tbody>
    </DataTable>
  );
}

function countBy<T>(items: Iterable<T>, key: (item: T) => string): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
