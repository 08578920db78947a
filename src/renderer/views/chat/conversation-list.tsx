import { useNow } from "../../lib/use-now.js";
import type { Conversation } from "../../state/conversations.js";
import { ConversationItem } from "./conversation-item.js";

/** The kept conversations, most recently used first. */
export function ConversationList({
  conversations,
  activeId,
  onSelect,
  onDelete,
}: {
  readonly conversations: readonly Conversation[];
  readonly activeId: string | null;
  readonly onSelect: (id: string) => void;
  readonly onDelete: (conversation: Conversation) => void;
}) {
  const now = useNow();
  return (
    <ul className="min-h-0 flex-1 space-y-0.5 overflow-y-auto px-2 pb-2">
      {conversations.map((conversation) => (
        <ConversationItem
          key={conversation.id}
          conversation={conversation}
          current={conversation.id === activeId}
          now={now}
          onSelect={() => onSelect(conversation.id)}
          onDelete={() => onDelete(conversation)}
        />
      ))}
    </ul>
  );
}
