import type { NodeStatus } from "../../shared/contract/index.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import { awaitsHive, nextNodeStatus, stampsContact, type NodeEvent, type NodeLifeState } from "./node-status-machine.js";

const nowUnix = (): number => Math.floor(Date.now() / 1000);

/**
 * The one writer of node status: other code sends it what it saw (events); it applies the status
 * machine to the stored status and writes the result. Holds the machine's memory of nodes seen ready.
 */
export class NodeLifecycle {
  private readonly seenReady = new Set<string>();

  constructor(
    private readonly beehives: BeehiveRegistry,
    private readonly clock: () => number = nowUnix,
  ) {}

  /** Applies an event to a node; its status after, or undefined when the node is not registered. */
  send(nodeName: string, event: NodeEvent): NodeStatus | undefined {
    const current = this.state(nodeName);
    if (!current) return undefined;
    const next = nextNodeStatus(current, event);
    if (next.seenReady) this.seenReady.add(nodeName);
    const changed = next.status !== current.status;
    const stamp = stampsContact(event, changed);
    if (changed || stamp) this.beehives.updateStatus(nodeName, next.status, stamp ? this.clock() : undefined);
    return next.status;
  }

  /** Whether the node answers but must get its hive re-attached before it counts as ready. */
  awaitsHive(nodeName: string): boolean {
    const current = this.state(nodeName);
    return current !== undefined && awaitsHive(current);
  }

  /** Drops the memory of a removed node. */
  forget(nodeName: string): void {
    this.seenReady.delete(nodeName);
  }

  private state(nodeName: string): NodeLifeState | undefined {
    const node = this.beehives.get(nodeName);
    return node && { status: node.status, seenReady: this.seenReady.has(nodeName) || node.status === "ready" };
  }
}
