import { SpinnerIcon } from "../../components/icons.js";

/**
 * While every slot of the model is busy: the answer's place in line, and the queen's words under it.
 * No stage trail and no bar: waiting is not a step of a cold start, and nothing says how long it takes.
 */
export function QueuePlace({ place, message }: { readonly place: string; readonly message: string }) {
  return (
    <div
      data-testid="queue-place"
      role="status"
      className="max-w-md rounded-lg border border-zinc-200 bg-white p-3 text-sm shadow-xs dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="flex items-center justify-between gap-3">
        <p className="flex items-center gap-2 font-medium">
          <SpinnerIcon className="size-4 text-amber-600 dark:text-amber-400" />
          Waiting for a free slot
        </p>
        <span
          data-testid="queue-position"
          className="shrink-0 rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium tabular-nums text-amber-800 dark:bg-amber-400/10 dark:text-amber-300"
        >
          {place}
        </span>
      </div>
      <p className="mt-1 truncate text-xs text-zinc-500 dark:text-zinc-400" title={message}>
        {message}
      </p>
    </div>
  );
}
