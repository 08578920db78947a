import { RefreshIcon } from "../../components/icons.js";
import { formatBytes } from "../../lib/format.js";
import { pendingView } from "../../lib/pending-view.js";
import type { ChatTurn } from "../../state/conversations.js";

/**
 * Under an answer stopped or refused before its first word: where its cold start was (a download
 * keeps what it has), and the button that asks again, which picks the download up where it stands.
 */
export function InterruptedStart({ turn, onRetry }: { readonly turn: ChatTurn; readonly onRetry: () => void }) {
  const at = turn.interrupted;
  const view = at ? pendingView({ message: "", ...at }) : null;
  const downloading = at?.stage === "download";
  const kept =
    downloading && at.bytes !== undefined && at.bytes > 0
      ? `${formatBytes(at.bytes)}${at.bytes_total !== undefined ? ` of ${formatBytes(at.bytes_total)}` : ""} downloaded, kept on the node`
      : null;
  return (
    <div className="mt-2 flex flex-wrap items-center gap-3 text-xs text-zinc-500 dark:text-zinc-400">
      {view?.kind === "cold-start" ? (
        <span data-testid="interrupted-at">
          Stopped at: {view.progress.step.toLowerCase()}
          {kept ? ` (${kept})` : ""}
        </span>
      ) : null}
      <button type="button" className="btn-secondary h-7 px-2.5 text-xs" onClick={onRetry}>
        <RefreshIcon className="size-3.5" />
        {downloading ? "Resume download" : "Try again"}
      </button>
    </div>
  );
}
