import { useState } from "react";
import { useNotifiedCall } from "../../components/use-notified-call.js";
import { ProgressBar } from "../../components/progress-bar.js";
import { formatBytes } from "../../lib/format.js";
import { shortModelName } from "../../lib/model-choices.js";
import { useModels } from "../../state/fleet-context.js";
import type { TransferView } from "../../state/model-transfers.js";

/** One running download or copy: what goes where, how far, and its Cancel button. */
export function TransferRow({ transfer }: { readonly transfer: TransferView }) {
  const { actions } = useModels();
  const notified = useNotifiedCall();
  const [cancelling, setCancelling] = useState(false);
  const name = shortModelName(transfer.model_ref);
  const what =
    transfer.kind === "copy"
      ? `Copying ${name} to ${transfer.node_name}${transfer.from_node ? ` from ${transfer.from_node}` : ""}`
      : `Downloading ${name} to ${transfer.node_name}`;
  // The queen's own words only where they add to the line ("Resuming the copy at …"), not its generic "Copying …".
  const note = transfer.message && !/^(copying|downloading) /i.test(transfer.message) ? transfer.message : null;
  const total = transfer.bytes_total;
  const fraction = total !== undefined && total > 0 ? Math.min(1, transfer.bytes / total) : null;
  const amount =
    fraction !== null ? `${Math.floor(fraction * 100)}% · ${formatBytes(transfer.bytes)} of ${formatBytes(total)}` : transfer.bytes > 0 ? formatBytes(transfer.bytes) : null;

  const cancel = async (): Promise<void> => {
    setCancelling(true);
    if (!(await notified(() => actions.cancel(transfer), `Stopped: ${what.toLowerCase()}`, "Could not stop it"))) setCancelling(false);
  };

  return (
    <li data-testid={`transfer-${transfer.kind}-${transfer.node_name}`} className="px-3 py-2 text-sm">
      <div className="mb-1.5 flex items-baseline justify-between gap-3">
        <p className="min-w-0 truncate" title={transfer.model_ref}>
          <span className="font-medium">{what}</span>
          {note ? <span className="text-zinc-500 dark:text-zinc-400"> · {note}</span> : null}
        </p>
        <div className="flex shrink-0 items-center gap-2">
          {amount ? <span className="text-xs tabular-nums text-zinc-500">{amount}</span> : null}
          <button type="button" className="btn-ghost" disabled={cancelling} aria-label={`Cancel: ${what}`} onClick={() => void cancel()}>
            {cancelling ? "Stopping…" : "Cancel"}
          </button>
        </div>
      </div>
      <ProgressBar fraction={fraction} label={what} tone={transfer.kind === "copy" ? "emerald" : "amber"} />
    </li>
  );
}
