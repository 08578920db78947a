import { CloseIcon } from "../../components/icons.js";
import { describeCodedError } from "../../lib/error-text.js";
import { shortModelName } from "../../lib/model-choices.js";
import { useModels } from "../../state/fleet-context.js";

/** The downloads and copies to `node` started here that failed, each with why and what to do. */
export function FailedTransfers({ node }: { readonly node: string }) {
  const { state, actions } = useModels();
  const failed = state.transfers.filter((op) => op.node_name === node && op.state.kind === "failed");
  if (failed.length === 0) return null;
  return (
    <ul className="divide-y divide-zinc-100 border-b border-zinc-100 dark:divide-zinc-800 dark:border-zinc-800">
      {failed.map((op) => {
        if (op.state.kind !== "failed") return null;
        const text = describeCodedError(op.state);
        const what = op.kind === "copy" ? `Copy of ${shortModelName(op.model_ref)} from ${op.from_node ?? "?"}` : `Download of ${shortModelName(op.model_ref)}`;
        return (
          <li key={op.id} role="alert" className="flex items-start gap-3 bg-red-50/60 px-3 py-2 text-sm dark:bg-red-400/5">
            <div className="min-w-0 flex-1">
              <p className="font-medium text-red-800 dark:text-red-300">
                {what} failed: {text.title}
              </p>
              <p className="mt-0.5 break-words text-zinc-700 dark:text-zinc-300">{text.message}</p>
              {text.hint ? <p className="mt-0.5 text-zinc-600 dark:text-zinc-400">{text.hint}</p> : null}
            </div>
            <button type="button" className="btn-ghost" aria-label="Dismiss" onClick={() => actions.dismiss(op.id)}>
              <CloseIcon className="size-4" />
            </button>
          </li>
        );
      })}
    </ul>
  );
}
