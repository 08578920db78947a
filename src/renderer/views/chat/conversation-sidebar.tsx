import { PlusIcon } from "../../components/icons.js";
import type { Conversation } from "../../state/conversations.js";
import { ConversationList } from "./conversation-list.js";

/** The chat's left column: a new conversation, and every kept one. */
export function ConversationSidebar({
  conversations,
  activeId,
  onNew,
  onSelect,
  onDelete,
}: {
  readonly conversations: readonly Conversation[];
  readonly activeId: string | null;
  readonly onNew: () => void;
  readonly onSelect: (id: string) => void;
  readonly onDelete: (conversation: Conversation) => void;
}) {
  return (
    <aside
      aria-label="Conversations"
      className="flex w-64 shrink-0 flex-col border-r border-zinc-200 bg-white/60 dark:border-zinc-800 dark:bg-zinc-900/40"
    >
      <div className="p-2">
        <button type="button" className="btn-secondary w-full" onClick={onNew}>
          <PlusIcon className="size-4" />
          New chat
        </button>
      </div>
      <ConversationList conversations={conversations} activeId={activeId} onSelect={onSelect} onDelete={onDelete} />
    </aside>
  );
}
