import { useState } from "react";
import type { Beehive } from "../../../shared/contract/nodes.js";
import { useNotifiedCall } from "../../components/use-notified-call.js";
import { useApi } from "../../state/fleet-context.js";

/** Removing a node: the queen forgets it (stopping its workers first); the outcome is told in a notice. */
export function useRemoveNode(): { readonly busy: boolean; readonly remove: (node: Beehive) => Promise<void> } {
  const api = useApi();
  const notified = useNotifiedCall();
  const [busy, setBusy] = useState(false);

  const remove = async (node: Beehive): Promise<void> => {
    setBusy(true);
    await notified(() => api.removeNode({ node_name: node.node_name }), `Removed ${node.node_name}`, `Could not remove ${node.node_name}`);
    setBusy(false);
  };
  return { busy, remove };
}
