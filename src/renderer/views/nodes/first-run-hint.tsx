import { ChatIcon } from "../../components/icons.js";
import { routeHref } from "../../lib/use-route.js";

/** On a first start (this computer is a node, no worker runs yet): the way to a first answer, in the Chat. */
export function FirstRunHint() {
  return (
    <div
      data-testid="first-run-hint"
      className="mb-4 flex flex-wrap items-center gap-3 rounded-lg border border-amber-200 bg-amber-50/70 px-4 py-3 text-sm dark:border-amber-400/20 dark:bg-amber-400/5"
    >
      <ChatIcon className="size-5 shrink-0 text-amber-600 dark:text-amber-300" />
      <p className="min-w-0 flex-1 text-zinc-700 dark:text-zinc-300">
        This computer is ready to run models. Pick one in the Chat: one click downloads it, starts it here and answers.
      </p>
      <a href={routeHref("chat")} className="btn-primary">
        Open the chat
      </a>
    </div>
  );
}
