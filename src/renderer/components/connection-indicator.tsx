import { assertNever } from "../../shared/contract/errors.js";
import type { ConnectionState } from "../api/connection.js";

function describe(state: ConnectionState): { label: string; dot: string; title: string } {
  switch (state) {
    case "connecting":
      return { label: "Connecting…", dot: "bg-zinc-400 animate-pulse", title: "Connecting to the queen" };
    case "connected":
      return { label: "Live", dot: "bg-emerald-500", title: "Connected: changes appear as they happen" };
    case "reconnecting":
      return {
        label: "Reconnecting…",
        dot: "bg-amber-500 animate-pulse",
        title: "The link to the queen dropped; retrying. What you see may be out of date.",
      };
    case "unauthorized":
      return { label: "Not authorized", dot: "bg-red-500", title: "The queen refused the token" };
    default:
      return assertNever(state);
  }
}

/** Shows whether pushed updates are flowing from the queen. */
export function ConnectionIndicator({ state, target }: { readonly state: ConnectionState; readonly target: string }) {
  const { label, dot, title } = describe(state);
  return (
    <div
      data-testid="connection-indicator"
      data-state={state}
      title={`${title} (${target})`}
      className="flex items-center gap-2 rounded-full border border-zinc-200 bg-white px-2.5 py-1 text-xs font-medium text-zinc-700 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-300"
    >
      <span aria-hidden="true" className={`size-2 rounded-full ${dot}`} />
      <span role="status" aria-label={`Connection: ${label.replace("…", "")}`}>
        {label}
      </span>
      <span className="hidden text-zinc-400 sm:inline dark:text-zinc-500">{target}</span>
    </div>
  );
}
