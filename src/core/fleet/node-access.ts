import type { Beehive } from "../../shared/contract/index.js";
import type { NodeLifecycle } from "../nodes/node-lifecycle.js";
import type { HiveControl, HiveHandle } from "../remote/hive-control.js";
import type { NodeConnection } from "../transport/node-connection.js";
import type { NodeConnections } from "../ssh/node-connections.js";
import type { ProgressSink } from "./progress-sink.js";

/**
 * The steps install and spawn share: reach a node over SSH, start (or find) its hive, stop it;
 * each reports what it saw to the node's lifecycle.
 */
export class NodeAccess {
  constructor(
    private readonly deps: {
      readonly connections: NodeConnections;
      readonly hives: HiveControl;
      readonly nodes: NodeLifecycle;
      readonly log: (message: string) => void;
    },
  ) {}

  /** The node's SSH connection, dialled now (skipping any backoff) if there is none. */
  async connect(node: Beehive, progress: ProgressSink): Promise<NodeConnection> {
    const existing = this.deps.connections.current(node.node_name);
    if (existing) return existing;
    progress({ stage: "ssh", message: `Connecting to ${node.ssh_user}@${node.ssh_host}:${node.ssh_port}` });
    try {
      return await this.deps.connections.get(node.node_name, true);
    } catch (error) {
      this.deps.nodes.send(node.node_name, { type: "connect-failed" });
      throw error;
    }
  }

  /** The node's hive, started if needed (and only then said so); NOT_INSTALLED when rbee is missing there. */
  async startHive(node: Beehive, progress: ProgressSink): Promise<HiveHandle> {
    const hive = await this.deps.hives.ensure(node, () => progress({ stage: "hive", message: `Starting rbee-hive on ${node.node_name}` }));
    this.deps.nodes.send(node.node_name, { type: "hive-started" });
    return hive;
  }

  /** Stops the node's hive (and so its workers) when this queen can reach or owns it; never throws. */
  async stopHiveQuietly(node: Beehive): Promise<void> {
    try {
      if (this.deps.connections.current(node.node_name) || this.deps.hives.owned.has(node.node_name)) await this.deps.hives.stop(node);
    } catch (error) {
      this.deps.log(`stopping rbee-hive on ${node.node_name}: ${(error as Error).message}`);
    }
  }
}
