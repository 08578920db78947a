import type { Beehive } from "./contract/nodes.js";

/** How a node is reached, in words: `vince@mac.lan:22`, or "this computer" for the local node. */
export function nodeAddress(node: Pick<Beehive, "transport" | "ssh_user" | "ssh_host" | "ssh_port">): string {
  return node.transport === "local" ? "this computer" : `${node.ssh_user}@${node.ssh_host}:${node.ssh_port}`;
}

/** Where a node's rbee programs come from, in words: `main → ~/rbee`, or the queen's own installation. */
export function nodeInstall(node: Pick<Beehive, "transport" | "git_branch" | "install_path">): string {
  return node.transport === "local" ? "the queen's own" : `${node.git_branch} → ${node.install_path}`;
}
