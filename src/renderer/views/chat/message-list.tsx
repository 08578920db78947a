import { retryableAnswer, type ChatTurn } from "../../state/conversations.js";
import { AssistantMessage } from "./assistant-message.js";
import { UserMessage } from "./user-message.js";

/** A conversation's turns: the user's on the right, the answers on the left; the last one may be asked again. */
export function MessageList({
  turns,
  thisComputer,
  onRetry,
}: {
  readonly turns: readonly ChatTurn[];
  /** The conversation runs on this computer's node. */
  readonly thisComputer: boolean;
  readonly onRetry: () => void;
}) {
  const retryable = retryableAnswer(turns);
  return (
    <ol aria-label="Messages" className="mx-auto flex max-w-3xl flex-col gap-5 px-6 py-6">
      {turns.map((turn) =>
        turn.role === "user" ? (
          <UserMessage key={turn.id} turn={turn} />
        ) : (
          <AssistantMessage key={turn.id} turn={turn} thisComputer={thisComputer} onRetry={turn === retryable ? onRetry : undefined} />
        ),
      )}
    </ol>
  );
}
