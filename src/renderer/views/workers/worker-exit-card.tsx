import { useState } from "react";
import type { WorkerExit } from "../../../shared/contract/logs.js";
import { AlertIcon, CloseIcon, LogsIcon } from "../../components/icons.js";
import { useNotifiedCall } from "../../components/use-notified-call.js";
import { exitText } from "../../lib/exit-text.js";
import { absoluteTime, relativeTime } from "../../lib/format.js";
import { useApi } from "../../state/fleet-context.js";
import { LogsDialog } from "../logs/logs-dialog.js";
import { ModelName } from "./model-name.js";

/** A worker that died without being stopped: how, its last lines, its log, and Dismiss. */
export function WorkerExitCard({ exit, now }: { readonly exit: WorkerExit; readonly now: number }) {
  const api = useApi();
  const call = useNotifiedCall();
  const [logOpen, setLogOpen] = useState(false);
  const [dismissing, setDismissing] = useState(false);
  const dismiss = async (): Promise<void> => {
    setDismissing(true);
    const ok = await call(() => api.dismissWorkerExit({ worker_id: exit.worker_id }), `Dismissed ${exit.worker_id}`, "Could not dismiss");
    if (!ok) setDismissing(false);
  };

  return (
    <section
      aria-label={`Worker ${exit.worker_id} died`}
      data-testid={`worker-exit-${exit.worker_id}`}
      className="rounded-lg border border-red-600/25 bg-red-50/70 p-3 text-sm dark:border-red-400/25 dark:bg-red-400/5"
    >
      <div className="flex items-start gap-2.5">
        <AlertIcon className="mt-0.5 size-4 shrink-0 text-red-600 dark:text-red-400" />
        <div className="min-w-0 flex-1">
          <p className="font-medium text-red-800 dark:text-red-300">
            Worker <span className="font-mono">{exit.worker_id}</span> on {exit.node_name}{" "}
            <span data-testid="exit-reason">{exitText(exit)}</span>
          </p>
          {exit.error ? (
            <p className="mt-0.5 break-words text-zinc-700 dark:text-zinc-300" data-testid="exit-error">
              {exit.error.message}
            </p>
          ) : null}
          <p className="mt-0.5 flex flex-wrap items-center gap-x-2 text-xs text-zinc-600 dark:text-zinc-400">
            <ModelName modelRef={exit.model_ref} />
            <time dateTime={new Date(exit.exited_unix * 1000).toISOString()} title={absoluteTime(exit.exited_unix)}>
              {relativeTime(exit.exited_unix, now)}
            </time>
          </p>
        </div>
        <button type="button" className="btn-ghost -my-1" onClick={() => setLogOpen(true)}>
          <LogsIcon className="size-4" /> Open its log
        </button>
        <button
          type="button"
          className="btn-ghost -my-1 -mr-1"
          aria-label={`Dismiss ${exit.worker_id}`}
          disabled={dismissing}
          onClick={() => void dismiss()}
        >
          <CloseIcon className="size-4" />
          <span className="sr-only sm:not-sr-only">Dismiss</span>
        </button>
      </div>
      {exit.last_lines.length > 0 ? (
        // Reversed flex: the box opens scrolled to its end, where the exit is.
        <div className="mt-2 flex max-h-40 flex-col-reverse overflow-auto rounded-md bg-zinc-950 px-3 py-2">
          <pre aria-label="Its last lines" className="font-mono text-[11.5px] leading-5 whitespace-pre-wrap text-zinc-200">
            {exit.last_lines.join("\n")}
          </pre>
        </div>
      ) : null}
      {logOpen ? <LogsDialog target={{ node: exit.node_name, worker: exit.worker_id }} onClose={() => setLogOpen(false)} /> : null}
    </section>
  );
}
