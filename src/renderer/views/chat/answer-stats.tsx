import { cachedTokens, formatDuration, formatRate, tokensPerSecond } from "../../lib/format.js";
import type { ChatTurn } from "../../state/conversations.js";

/** Under a finished answer: stopped or cut, time to first token, speed, length, prompt tokens cached, and the node it ran on. */
export function AnswerStats({ turn }: { readonly turn: ChatTurn }) {
  const stats = turn.stats;
  const stopped = turn.status === "stopped";
  const cached = stats ? cachedTokens(stats) : null;
  // An answer stopped before its first token has no speed or length to tell.
  const measured = stats !== undefined && (stats.tokens_out > 0 || !stopped) ? stats : undefined;
  return (
    <p data-testid="answer-stats" className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-zinc-500 dark:text-zinc-400">
      {stopped ? (
        <span className="rounded-full bg-zinc-100 px-2 py-0.5 font-medium text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
          Stopped
        </span>
      ) : null}
      {stats?.stop_reason === "max_tokens" ? (
        <span
          className="rounded-full bg-amber-50 px-2 py-0.5 font-medium text-amber-800 dark:bg-amber-400/10 dark:text-amber-300"
          title="The answer reached the conversation's Max tokens; raise it to get longer answers."
        >
          Cut at max tokens
        </span>
      ) : null}
      {measured ? (
        <>
          <span title="Time to first token">
            TTFT <span className="tabular-nums text-zinc-700 dark:text-zinc-300">{formatDuration(measured.ttft_ms)}</span>
          </span>
          <span title="Generation speed after the first token">
            <span className="tabular-nums text-zinc-700 dark:text-zinc-300">{formatRate(tokensPerSecond(measured))}</span>
          </span>
          <span className="tabular-nums">{measured.tokens_out} tokens</span>
          {cached ? (
            <span data-testid="answer-cached" className="tabular-nums" title={cached.title}>
              {cached.label}
            </span>
          ) : null}
        </>
      ) : null}
      {turn.worker ? (
        <span title={`${turn.worker.worker_id} · ${turn.worker.model_ref}`}>
          on <span className="text-zinc-700 dark:text-zinc-300">{turn.worker.node_name}</span>
        </span>
      ) : null}
    </p>
  );
}
