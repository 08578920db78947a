import type { Beehive } from "../../../shared/contract/nodes.js";
import { ConfirmDialog } from "../../components/confirm-dialog.js";
import { formatAddress } from "../../lib/format.js";
import { useRemoveNode } from "./use-remove-node.js";

/** Asks before a node is removed, saying what happens to its workers and its install. */
export function RemoveNodeDialog({ node, onDone }: { readonly node: Beehive | null; readonly onDone: () => void }) {
  const { busy, remove } = useRemoveNode();

  return (
    <ConfirmDialog
      open={node !== null}
      title={node ? `Remove ${node.node_name}?` : ""}
      confirmLabel={busy ? "Removing…" : "Remove node"}
      busy={busy}
      onConfirm={() => {
        if (node) void remove(node).finally(onDone);
      }}
      onCancel={() => {
        if (!busy) onDone();
      }}
    >
      {node?.transport === "local" ? (
        <p>
          rbee stops using this computer as a node (
          <strong className="font-medium text-zinc-900 dark:text-zinc-100">{node.node_name}</strong>) and stops its workers
          first. Downloaded models stay; <em>Add this computer</em> in Nodes brings it back.
        </p>
      ) : node ? (
        <p>
          rbee forgets <strong className="font-medium text-zinc-900 dark:text-zinc-100">{node.node_name}</strong> (
          {node.ssh_user}@{formatAddress(node.ssh_host, node.ssh_port)}) and stops its workers first. Nothing is
          deleted on the machine: the install in <code className="kbd">{node.install_path}</code> stays.
        </p>
      ) : null}
    </ConfirmDialog>
  );
}
