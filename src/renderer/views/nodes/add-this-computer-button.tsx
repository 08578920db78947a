import { useState } from "react";
import { LOCAL_NODE_NAME } from "../../../shared/contract/nodes.js";
import { ServerIcon, SpinnerIcon } from "../../components/icons.js";
import { useNotifiedCall } from "../../components/use-notified-call.js";
import { useApi } from "../../state/fleet-context.js";

/** Adds this computer as the node `local`: nothing to connect to or install; its hive starts on first use. */
export function AddThisComputerButton({ primary = false }: { readonly primary?: boolean }) {
  const api = useApi();
  const notified = useNotifiedCall();
  const [busy, setBusy] = useState(false);
  const add = async (): Promise<void> => {
    setBusy(true);
    await notified(
      () => api.addNode({ node_name: LOCAL_NODE_NAME, transport: "local" }),
      "This computer is a node",
      "Could not add this computer",
    );
    setBusy(false);
  };
  return (
    <button
      type="button"
      className={primary ? "btn-primary" : "btn-secondary"}
      disabled={busy}
      title="Run models on this computer too: no SSH, no install"
      onClick={() => void add()}
    >
      {busy ? <SpinnerIcon className="size-4" /> : <ServerIcon className="size-4" />}
      Add this computer
    </button>
  );
}
