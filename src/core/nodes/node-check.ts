import type { Beehive } from "../../shared/contract/index.js";
import type { HiveControl } from "../remote/hive-control.js";
import type { NodeConnections } from "../ssh/node-connections.js";
import type { NodeLifecycle } from "./node-lifecycle.js";

/** How long a health check's command may take before the node counts as down. */
export const HEALTH_COMMAND_TIMEOUT_MS = 5_000;

/** What a node check needs. */
export interface NodeCheckDeps {
  readonly connections: NodeConnections;
  readonly hives: Pick<HiveControl, "ensure">;
  readonly nodes: NodeLifecycle;
}

/**
 * One health check of a node: a cheap command over its connection (or a reconnect when it has
 * none), reported to its lifecycle. A node seen ready that comes back gets its hive re-attached
 * before it counts as ready, so that workers' callbacks reach this queen again through the new tunnel.
 */
export async function checkNode(deps: NodeCheckDeps, node: Beehive): Promise<void> {
  const up = await probe(deps.connections, node.node_name);
  deps.nodes.send(node.node_name, { type: up ? "probe-up" : "probe-down" });
  if (!up || !deps.nodes.awaitsHive(node.node_name)) return;
  try {
    await deps.hives.ensure(node);
    deps.nodes.send(node.node_name, { type: "hive-started" });
  } catch {
    deps.nodes.send(node.node_name, { type: "hive-attach-failed" });
  }
}

async function probe(connections: NodeConnections, nodeName: string): Promise<boolean> {
  try {
    const connection = connections.current(nodeName) ?? (await connections.get(nodeName));
    const result = await connection.exec("true", { timeoutMs: HEALTH_COMMAND_TIMEOUT_MS });
    if (result.code !== 0) connection.close();
    return result.code === 0;
  } catch {
    return false;
  }
}
