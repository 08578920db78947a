import { ProgressBar } from "../../components/progress-bar.js";
import type { ColdStartStage } from "../../lib/pending-view.js";
import type { ProgressView } from "../../lib/progress-text.js";
import { StageTrail } from "./stage-trail.js";

/** A worker starting for the answer: the current step, its bar, and the steps in a row. */
export function ColdStart({
  stage,
  progress,
  thisComputer,
}: {
  readonly stage: ColdStartStage;
  readonly progress: ProgressView;
  /** It runs on this computer (no SSH, no install). */
  readonly thisComputer: boolean;
}) {
  return (
    <div
      data-testid="cold-start"
      className="max-w-md rounded-lg border border-zinc-200 bg-white p-3 text-sm shadow-xs dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="flex items-baseline justify-between gap-3">
        <p className="font-medium">
          Starting a worker: <span data-testid="cold-start-step">{progress.step}</span>
        </p>
        {progress.amount ? (
          <span data-testid="cold-start-amount" className="shrink-0 text-xs tabular-nums text-zinc-500 dark:text-zinc-400">
            {progress.amount}
          </span>
        ) : null}
      </div>
      <p className="mt-0.5 truncate text-xs text-zinc-500 dark:text-zinc-400" title={progress.message}>
        {progress.message}
      </p>
      <ProgressBar className="mt-2.5" fraction={progress.fraction} label={`Cold start: ${progress.step}`} />
      <StageTrail current={stage} thisComputer={thisComputer} />
    </div>
  );
}
