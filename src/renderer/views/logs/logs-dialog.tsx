import { useId } from "react";
import { DialogHeader } from "../../components/dialog-header.js";
import { ErrorBox } from "../../components/error-box.js";
import { Modal } from "../../components/modal.js";
import { FollowStatus } from "./follow-status.js";
import { useFollowedLog, type LogTarget } from "./use-followed-log.js";
import { useTailScroll } from "./use-tail-scroll.js";

/** The Logs panel of a node's hive or one worker: its last lines, then new ones live. */
export function LogsDialog({ target, onClose }: { readonly target: LogTarget; readonly onClose: () => void }) {
  const titleId = useId();
  return (
    <Modal open onClose={onClose} labelledBy={titleId} closeOnBackdrop className="max-w-5xl">
      <LogsPanel target={target} titleId={titleId} onClose={onClose} />
    </Modal>
  );
}

function LogsPanel({ target, titleId, onClose }: { readonly target: LogTarget; readonly titleId: string; readonly onClose: () => void }) {
  const { buffer, state } = useFollowedLog(target);
  const { ref, onScroll, atEnd, jumpToEnd } = useTailScroll(buffer.lines.length + buffer.dropped);
  const title = target.worker ? `Log of worker ${target.worker}` : `Hive log of ${target.node}`;
  const description = target.worker
    ? `Its output (stdout and stderr) on ${target.node}, kept on the node after it stops.`
    : `What rbee-hive on ${target.node} did: spawns, stops, downloads, callbacks.`;

  return (
    <div className="flex h-[min(44rem,calc(100dvh-2rem))] flex-col text-left" data-testid="logs-panel">
      <DialogHeader titleId={titleId} title={title} description={description} onClose={onClose} />
      <div className="flex shrink-0 items-center gap-3 border-b border-zinc-200 px-5 py-2 text-xs dark:border-zinc-800">
        <FollowStatus state={state} worker={target.worker !== undefined} />
        <span className="text-zinc-400 tabular-nums dark:text-zinc-500">
          {buffer.lines.length} lines{buffer.dropped > 0 ? ` (the ${buffer.dropped} oldest no longer shown)` : ""}
        </span>
        {atEnd ? null : (
          <button type="button" className="btn-ghost ml-auto -my-1 text-xs" onClick={jumpToEnd}>
            Paused while you read · Jump to latest
          </button>
        )}
      </div>
      {state.kind === "failed" ? <ErrorBox text={state.error} className="mx-5 mt-3" /> : null}
      <div
        ref={ref}
        onScroll={onScroll}
        role="log"
        aria-label={title}
        aria-live="off"
        tabIndex={0}
        data-testid="log-lines"
        className="min-h-0 flex-1 overflow-auto bg-zinc-950 px-4 py-3 font-mono text-[12px] leading-5 text-zinc-200"
      >
        {buffer.lines.length === 0 && state.kind !== "connecting" ? (
          <p className="text-zinc-500">No lines yet.</p>
        ) : (
          buffer.lines.map((line, index) => (
            <div key={buffer.dropped + index} className="break-words whitespace-pre-wrap" data-testid="log-line">
              {line}
            </div>
          ))
        )}
      </div>
    </div>
  );
}
