import type { ProgressEvent } from "../../shared/contract/streams.js";
import { describeProgress } from "../lib/progress-text.js";
import { ProgressBar } from "./progress-bar.js";

/** A running install or spawn: its step and message, the amount done, and a bar. */
export function OperationProgress({
  progress,
  label,
  testId,
  className,
  textClassName,
}: {
  /** The latest step; null before the first. */
  readonly progress: Omit<ProgressEvent, "type"> | null;
  /** What the bar measures, for assistive technology. */
  readonly label: string;
  readonly testId: string;
  readonly className?: string;
  readonly textClassName?: string;
}) {
  const view = progress ? describeProgress(progress) : null;
  return (
    <div data-testid={testId} className={className}>
      <div className="mb-1.5 flex items-baseline justify-between gap-3 text-xs">
        <span className={textClassName ? `min-w-0 truncate ${textClassName}` : "min-w-0 truncate"}>
          <span className="font-medium">{view ? view.step : "Starting"}</span>
          {view ? <span className="text-zinc-500 dark:text-zinc-400"> · {view.message}</span> : null}
        </span>
        {view?.amount ? <span className="shrink-0 tabular-nums text-zinc-500">{view.amount}</span> : null}
      </div>
      <ProgressBar fraction={view?.fraction ?? null} label={label} />
    </div>
  );
}
