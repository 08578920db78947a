import type { ReactNode } from "react";
import type { Conversation } from "../../state/conversations.js";
import { MessageList } from "./message-list.js";
import { useStickToBottom } from "./use-stick-to-bottom.js";

/** The shown conversation's messages, scrolled along as the answer grows; `empty` (the first steps) when it has none. */
export function Transcript({
  conversation,
  thisComputer,
  empty,
  onRetry,
}: {
  readonly conversation: Conversation;
  /** The conversation runs on this computer's node. */
  readonly thisComputer: boolean;
  readonly empty: ReactNode;
  readonly onRetry: () => void;
}) {
  const last = conversation.turns[conversation.turns.length - 1];
  const scroll = useStickToBottom(conversation.id, [conversation.turns.length, last?.content, last?.status, last?.progress]);
  return (
    <div ref={scroll.ref} onScroll={scroll.onScroll} className="min-h-0 flex-1 overflow-y-auto">
      {conversation.turns.length === 0 ? empty : <MessageList turns={conversation.turns} thisComputer={thisComputer} onRetry={onRetry} />}
    </div>
  );
}
