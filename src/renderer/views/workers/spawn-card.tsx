import { CloseIcon } from "../../components/icons.js";
import { ProgressBar } from "../../components/progress-bar.js";
import { describeCodedError } from "../../lib/error-text.js";
import { shortModelName } from "../../lib/model-choices.js";
import { describeProgress } from "../../lib/progress-text.js";
import { useOperations } from "../../state/fleet-context.js";
import type { SpawnOperation } from "../../state/operations-store.js";

/** A spawn in flight (or failed) that was started from this view. */
export function SpawnCard({ operation }: { readonly operation: SpawnOperation }) {
  const { actions } = useOperations();
  const { request, state } = operation;
  const split = request.shards?.length ? ` split with ${request.shards.join(", ")}` : "";
  const title = `${shortModelName(request.model_ref)} on ${request.node_name} (${request.backend}:${request.device})${split}`;
  if (state.kind === "failed") {
    const text = describeCodedError(state);
    return (
      <div role="alert" className="card flex items-start gap-3 border-red-600/25 p-3 text-sm dark:border-red-400/25">
        <div className="min-w-0 flex-1">
          <p className="font-medium text-red-800 dark:text-red-300">
            Spawn of {title} failed: {text.title}
          </p>
          <p className="mt-0.5 break-words text-zinc-700 dark:text-zinc-300">{text.message}</p>
          {text.hint ? <p className="mt-0.5 text-zinc-600 dark:text-zinc-400">{text.hint}</p> : null}
        </div>
        <button type="button" className="btn-ghost" aria-label="Dismiss" onClick={() => actions.dismissSpawn(operation.id)}>
          <CloseIcon className="size-4" />
        </button>
      </div>
    );
  }
  const view = state.kind === "running" && state.progress ? describeProgress(state.progress) : null;
  return (
    <div className="card p-3 text-sm" data-testid="spawn-card">
      <div className="mb-1.5 flex items-baseline justify-between gap-3">
        <p className="min-w-0 truncate" title={request.model_ref}>
          <span className="font-medium">Spawning {title}</span>
          <span className="text-zinc-500 dark:text-zinc-400"> · {view ? `${view.step}: ${view.message}` : "starting"}</span>
        </p>
        <div className="flex shrink-0 items-center gap-2">
          {view?.amount ? <span className="text-xs tabular-nums text-zinc-500">{view.amount}</span> : null}
          <button type="button" className="btn-ghost" onClick={() => actions.cancelSpawn(operation.id)}>
            Cancel
          </button>
        </div>
      </div>
      <ProgressBar fraction={view?.fraction ?? null} label={`Spawning ${title}`} />
    </div>
  );
}
