import { assertNever } from "../../../shared/contract/errors.js";
import { SpinnerIcon } from "../../components/icons.js";
import { pendingView } from "../../lib/pending-view.js";
import type { ChatTurn } from "../../state/conversations.js";
import { ColdStart } from "./cold-start.js";
import { QueuePlace } from "./queue-place.js";

/** Before the first token: finding a worker, waiting in line for a slot, or starting a worker. */
export function PendingAnswer({ progress, thisComputer }: { readonly progress: ChatTurn["progress"]; readonly thisComputer: boolean }) {
  const view = pendingView(progress);
  switch (view.kind) {
    case "finding":
      return (
        <p className="flex items-center gap-2 text-sm text-zinc-500 dark:text-zinc-400" data-testid="cold-start">
          <SpinnerIcon className="size-4" />
          Finding a worker…
        </p>
      );
    case "queue":
      return <QueuePlace place={view.place} message={view.message} />;
    case "cold-start":
      return <ColdStart stage={view.stage} progress={view.progress} thisComputer={thisComputer} />;
    default:
      return assertNever(view);
  }
}
