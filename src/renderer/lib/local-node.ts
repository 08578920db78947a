import type { Beehive } from "../../shared/contract/nodes.js";

/** This computer's node (transport `local`), if it is one. */
export function localNodeOf(nodes: readonly Beehive[] | null): Beehive | null {
  return nodes?.find((node) => node.transport === "local") ?? null;
}
