import { CheckIcon } from "../../components/icons.js";
import { OperationProgress } from "../../components/operation-progress.js";
import { describeCodedError } from "../../lib/error-text.js";
import type { OperationState } from "../../state/operations-store.js";

/** The install stream of one node: steps as they happen, then the final status or what went wrong. */
export function InstallProgress({ nodeName, state }: { readonly nodeName: string; readonly state: OperationState }) {
  switch (state.kind) {
    case "running":
      return (
        <OperationProgress
          testId="install-progress"
          className="max-w-2xl"
          textClassName="text-zinc-700 dark:text-zinc-300"
          progress={state.progress}
          label={`Installing rbee on ${nodeName}`}
        />
      );
    case "done":
      return (
        <p data-testid="install-result" className="flex items-center gap-1.5 text-xs text-emerald-800 dark:text-emerald-300">
          <CheckIcon className="size-3.5" />
          {state.message}
        </p>
      );
    case "failed": {
      const text = describeCodedError(state);
      return (
        <div data-testid="install-result" role="alert" className="max-w-3xl text-xs">
          <p className="font-medium text-red-700 dark:text-red-300">Install failed: {text.title}</p>
          <p className="mt-0.5 font-mono text-[11.5px] break-words whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">{text.message}</p>
          {text.hint ? <p className="mt-1 text-zinc-600 dark:text-zinc-400">{text.hint}</p> : null}
        </div>
      );
    }
  }
}
