import type { WorkerStats } from "../../../shared/contract/fleet-stats.js";
import { Sparkline } from "../../components/sparkline.js";
import { formatDuration, formatRate } from "../../lib/format.js";
import { workerActivity } from "../../lib/worker-activity.js";

/** A worker's recent jobs: requests, mean tokens/s with a sparkline of each job's, mean TTFT, and its line. */
export function WorkerActivityCell({ stats }: { readonly stats: WorkerStats | undefined }) {
  const activity = workerActivity(stats);
  const jobs = stats?.recent.length ?? 0;
  return (
    <div className="flex items-center gap-3 whitespace-nowrap text-xs text-zinc-600 dark:text-zinc-400" data-testid="worker-activity">
      <div className="space-y-0.5">
        <div>
          <span className="font-medium text-zinc-800 tabular-nums dark:text-zinc-200" data-testid="worker-requests">
            {activity.requests}
          </span>{" "}
          {activity.requests === 1 ? "request" : "requests"}
          {activity.errors > 0 ? <span className="text-red-600 dark:text-red-400"> · {activity.errors} failed</span> : null}
        </div>
        <div className="tabular-nums" title={jobs > 0 ? `Means of the last ${jobs} jobs` : "No job yet"}>
          <span data-testid="worker-rate">{formatRate(activity.tokensPerSecond)}</span> · TTFT{" "}
          <span data-testid="worker-ttft">{activity.ttftMs === null ? "—" : formatDuration(activity.ttftMs)}</span>
        </div>
        <div className="tabular-nums" data-testid="worker-queue" title="Jobs running on this worker, and requests waiting in line for its model">
          {activity.running} running · {activity.queued} in line
        </div>
      </div>
      <Sparkline values={activity.speeds} label={`Tokens per second of the last ${jobs} jobs`} />
    </div>
  );
}
