import type { Beehive } from "../../shared/contract/index.js";
import { PeriodicMonitor } from "./periodic-monitor.js";

/** Nodes a health round looks at: every node the user has connected to at least once. */
export function nodesToWatch(nodes: readonly Beehive[]): Beehive[] {
  return nodes.filter((node) => node.status !== "unknown" && node.status !== "installing");
}

/**
 * Checks every watched node once per interval, each on its own (one slow node never delays
 * another); `check` reports what it finds to the node's lifecycle.
 */
export class NodeHealthMonitor extends PeriodicMonitor {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly nodes: () => readonly Beehive[],
    private readonly check: (node: Beehive) => Promise<void>,
    intervalMs: number,
  ) {
    super(intervalMs);
  }

  /** One round: starts a check of each watched node not still being checked. */
  tick(): void {
    for (const node of nodesToWatch(this.nodes())) {
      if (this.inFlight.has(node.node_name)) continue;
      this.inFlight.add(node.node_name);
      void this.check(node)
        .catch(() => {})
        .finally(() => this.inFlight.delete(node.node_name));
    }
  }
}
