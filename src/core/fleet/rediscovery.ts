import type { Beehive } from "../../shared/contract/index.js";
import type { NodeLifecycle } from "../nodes/node-lifecycle.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { WorkerRegistry } from "../registry/worker-registry.js";
import type { HiveControl } from "../remote/hive-control.js";
import type { NodeConnections } from "../ssh/node-connections.js";
import { registrationOf } from "./hive-worker-registration.js";
import type { WorkerEndpoints } from "./worker-endpoints.js";
import type { WorkerLifecycle } from "./worker-lifecycle.js";

/** What rediscovery needs. */
export interface RediscoveryDeps {
  readonly beehives: BeehiveRegistry;
  readonly workers: WorkerRegistry;
  readonly connections: NodeConnections;
  readonly hives: HiveControl;
  readonly nodes: NodeLifecycle;
  readonly endpoints: WorkerEndpoints;
  readonly lifecycle: WorkerLifecycle;
  readonly log: (message: string) => void;
}

/**
 * After a queen restart: finds the hives still running on the nodes and registers their workers
 * again, starting nothing. Each node on its own; one that cannot be reached is reported so.
 */
export async function rediscover(deps: RediscoveryDeps): Promise<void> {
  const nodes = deps.beehives.list().filter((node) => node.status === "ready" || node.status === "reachable");
  await Promise.all(
    nodes.map(async (node) => {
      let connected = false;
      try {
        await deps.connections.get(node.node_name);
        connected = true;
        if (!(await adoptRunningWorkers(deps, node))) return;
        deps.log(`${node.node_name}: rediscovered its hive and ${deps.workers.onNode(node.node_name).length} worker(s)`);
      } catch (error) {
        deps.nodes.send(node.node_name, { type: connected ? "hive-attach-failed" : "connect-failed" });
        deps.log(`${node.node_name}: not reachable after restart (${(error as Error).message})`);
      }
    }),
  );
}

/**
 * Registers the workers a node's hive runs, from the hive's own list (read through this queen's SSH
 * connection, so it is the node's word, not a caller's), each with its API token for its URL.
 * False when no hive runs there. A worker that cannot be registered (stopped, or another URL
 * registered under its id) is logged and left out; the others are registered all the same.
 */
export async function adoptRunningWorkers(
  deps: Pick<RediscoveryDeps, "hives" | "endpoints" | "lifecycle" | "log">,
  node: Beehive,
): Promise<boolean> {
  const hive = await deps.hives.attach(node);
  if (!hive) return false;
  for (const worker of await hive.client.listWorkers()) {
    if (worker.state === "loading") continue;
    try {
      deps.lifecycle.admit(registrationOf(worker), node.node_name);
      deps.endpoints.remember(worker.id, worker.token, worker.url);
    } catch (error) {
      deps.log(`${node.node_name}: worker ${worker.id} not registered: ${(error as Error).message}`);
    }
  }
  return true;
}
