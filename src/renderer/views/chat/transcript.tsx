import { ChatEmptyState, type ChatEmptyStateProps } from "./chat-empty-state.js";
import { MessageList } from "./message-list.js";
import { useStickToBottom } from "./use-stick-to-bottom.js";

/** The shown conversation's messages, scrolled along as the answer grows; the first steps when it has none. */
export function Transcript(props: ChatEmptyStateProps) {
  const { conversation } = props;
  const last = conversation.turns[conversation.turns.length - 1];
  const scroll = useStickToBottom(conversation.id, [conversation.turns.length, last?.content, last?.status, last?.progress]);
  return (
    <div ref={scroll.ref} onScroll={scroll.onScroll} className="min-h-0 flex-1 overflow-y-auto">
      {conversation.turns.length === 0 ? <ChatEmptyState {...props} /> : <MessageList turns={conversation.turns} />}
    </div>
  );
}
