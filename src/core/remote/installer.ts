import { RbeeError, type Beehive } from "../../shared/contract/index.js";
import type { NodeConnection } from "../transport/node-connection.js";
import { EXIT_FOREIGN_CHECKOUT, EXIT_NO_BRANCH, EXIT_NO_GIT, installScript } from "./remote-scripts.js";

const PROGRESS_PREFIX = "rbee-progress: ";
const UP_TO_DATE = "rbee-install: up to date";
const INSTALLED = "rbee-install: installed";

/**
 * Installs or updates rbee on a node: checkout of the node's repository and branch, then the
 * project's lean node install. Reports each step; answers whether anything changed.
 */
export async function installOnNode(
  connection: NodeConnection,
  node: Beehive,
  onProgress: (message: string) => void,
): Promise<{ readonly changed: boolean }> {
  let pending = "";
  const script = installScript(node);
  const result = await connection.exec(script.command, {
    stdin: script.stdin,
    onStdout: (text) => {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith(PROGRESS_PREFIX)) onProgress(line.slice(PROGRESS_PREFIX.length));
      }
    },
  });
  const output = `${result.stderr}\n${result.stdout}`.trim().split("\n").slice(-15).join("\n");
  if (result.code === 0) {
    const lines = result.stdout.split("\n").map((line) => line.trim());
    if (lines.includes(UP_TO_DATE)) return { changed: false };
    if (lines.includes(INSTALLED)) return { changed: true };
    // Exit 0 without the install's last word: the script never ran (a shell that exits 0 on a syntax error does that).
    throw new RbeeError("INSTALL_FAILED", `Install on ${node.node_name} did not complete (the install script never said it was done):\n${output}`);
  }
  switch (result.code) {
    case EXIT_NO_BRANCH:
      throw new RbeeError("INSTALL_FAILED", `Install on ${node.node_name} failed: branch "${node.git_branch}" not found in ${node.git_repo_url}`);
    case EXIT_FOREIGN_CHECKOUT:
      throw new RbeeError(
        "INSTALL_FAILED",
        `Install on ${node.node_name} failed: ${node.install_path} exists and is not an rbee checkout; choose another install path or remove it`,
      );
    case EXIT_NO_GIT:
      throw new RbeeError("INSTALL_FAILED", `Install on ${node.node_name} failed: git is not installed there`);
    default:
      throw new RbeeError("INSTALL_FAILED", `Install on ${node.node_name} failed (exit ${result.code}):\n${output}`);
  }
}
