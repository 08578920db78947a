import { SpinnerIcon } from "../../components/icons.js";
import { ProgressBar } from "../../components/progress-bar.js";
import { describeProgress } from "../../lib/progress-text.js";
import type { ChatTurn } from "../../state/conversations.js";
import { knownStage, StageTrail } from "./stage-trail.js";

/** What the queen does before the first token: finding a worker, or starting one step by step. */
export function ColdStart({ progress }: { readonly progress: ChatTurn["progress"] }) {
  const stage = knownStage(progress?.stage);
  if (!progress || !stage) {
    return (
      <p className="flex items-center gap-2 text-sm text-zinc-500 dark:text-zinc-400" data-testid="cold-start">
        <SpinnerIcon className="size-4" />
        Finding a worker…
      </p>
    );
  }
  const view = describeProgress({ ...progress, stage });
  return (
    <div
      data-testid="cold-start"
      className="max-w-md rounded-lg border border-zinc-200 bg-white p-3 text-sm shadow-xs dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="flex items-baseline justify-between gap-3">
        <p className="font-medium">
          Starting a worker: <span data-testid="cold-start-step">{view.step}</span>
        </p>
        {view.amount ? <span className="shrink-0 text-xs tabular-nums text-zinc-500 dark:text-zinc-400">{view.amount}</span> : null}
      </div>
      <p className="mt-0.5 truncate text-xs text-zinc-500 dark:text-zinc-400" title={view.message}>
        {view.message}
      </p>
      <ProgressBar className="mt-2.5" fraction={view.fraction} label={`Cold start: ${view.step}`} />
      <StageTrail current={stage} />
    </div>
  );
}
