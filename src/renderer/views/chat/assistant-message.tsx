import { memo } from "react";
import { ErrorBox } from "../../components/error-box.js";
import { SparkIcon, SpinnerIcon } from "../../components/icons.js";
import { MarkdownText } from "../../components/markdown.js";
import { describeCodedError } from "../../lib/error-text.js";
import type { ChatTurn } from "../../state/conversations.js";
import { AnswerStats } from "./answer-stats.js";
import { InterruptedStart } from "./interrupted-start.js";
import { PendingAnswer } from "./pending-answer.js";

/**
 * An answer: its place in line or the cold start while no worker runs it, the markdown as it
 * streams, then its stats or its error; `onRetry` when it may be asked again (stopped or refused before any text).
 */
export const AssistantMessage = memo(function AssistantMessage({
  turn,
  thisComputer,
  onRetry,
}: {
  readonly turn: ChatTurn;
  /** The conversation runs on this computer: its cold start has no SSH or install step. */
  readonly thisComputer: boolean;
  readonly onRetry?: (() => void) | undefined;
}) {
  const status = turn.status ?? "done";
  const streaming = status === "streaming" || status === "pending";
  return (
    <li data-testid="chat-answer" data-status={status} aria-busy={streaming} className="flex gap-3">
      <div
        aria-hidden="true"
        className="mt-0.5 flex size-7 shrink-0 items-center justify-center rounded-lg bg-amber-100 text-amber-700 ring-1 ring-amber-600/15 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/20"
      >
        <SparkIcon className="size-4" />
      </div>
      <div className="min-w-0 flex-1 pt-0.5">
        {status === "pending" ? <PendingAnswer progress={turn.progress} thisComputer={thisComputer} /> : null}
        {turn.content !== "" ? (
          <div data-testid="answer-text">
            <MarkdownText text={turn.content} streaming={status === "streaming"} />
          </div>
        ) : status === "streaming" ? (
          <p className="flex items-center gap-2 text-sm text-zinc-500 dark:text-zinc-400">
            <SpinnerIcon className="size-4" />
            Thinking…
          </p>
        ) : null}
        {status === "failed" && turn.error ? (
          <ErrorBox className={turn.content ? "mt-3" : ""} text={describeCodedError(turn.error, {})} />
        ) : null}
        {status === "done" || status === "stopped" ? <AnswerStats turn={turn} /> : null}
        {onRetry ? <InterruptedStart turn={turn} onRetry={onRetry} /> : null}
      </div>
    </li>
  );
});
