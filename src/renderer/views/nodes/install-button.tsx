import type { Beehive } from "../../../shared/contract/nodes.js";
import { DownloadIcon, RefreshIcon, SpinnerIcon } from "../../components/icons.js";
import { RowAction } from "../../components/row-action.js";

/** Installs rbee on a node that is not ready yet, or updates it on a ready one; says what it will do on hover. */
export function InstallButton({ node, running, onInstall }: { readonly node: Beehive; readonly running: boolean; readonly onInstall: () => void }) {
  const update = node.status === "ready";
  const verb = update ? "Update" : "Install";
  return (
    <RowAction
      label={`${verb} ${node.node_name}`}
      title={
        update
          ? `Fetch ${node.git_branch} again on ${node.node_name} and restart its hive if anything changed`
          : `Clone ${node.git_repo_url} (${node.git_branch}) into ${node.install_path} on ${node.node_name} and start its hive`
      }
      icon={running ? <SpinnerIcon className="size-4" /> : update ? <RefreshIcon className="size-4" /> : <DownloadIcon className="size-4" />}
      text={running ? "Installing…" : verb}
      disabled={running}
      onClick={onInstall}
    />
  );
}
