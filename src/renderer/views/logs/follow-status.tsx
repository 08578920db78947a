import { assertNever } from "../../../shared/contract/errors.js";
import { SpinnerIcon } from "../../components/icons.js";
import type { FollowState } from "./use-followed-log.js";

/** One short line on where a followed log is: live, over, connecting. */
export function FollowStatus({ state, worker }: { readonly state: FollowState; readonly worker: boolean }) {
  switch (state.kind) {
    case "connecting":
      return (
        <span className="inline-flex items-center gap-1.5 text-zinc-500 dark:text-zinc-400">
          <SpinnerIcon className="size-3.5" /> Connecting…
        </span>
      );
    case "following":
      return (
        <span className="inline-flex items-center gap-1.5 text-emerald-700 dark:text-emerald-400">
          <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-emerald-500" /> Live
        </span>
      );
    case "ended":
      return <span className="text-zinc-500 dark:text-zinc-400">{worker ? "The worker has stopped: this is its kept log" : "The log ended"}</span>;
    case "failed":
      return <span className="text-red-700 dark:text-red-400">Not following</span>;
    default:
      return assertNever(state);
  }
}
