import { ConfirmDialog } from "../../components/confirm-dialog.js";
import type { Conversation } from "../../state/conversations.js";

/** Asks before a conversation is deleted: it is only on this computer, so it is gone for good. */
export function DeleteConversationDialog({
  conversation,
  onDelete,
  onDone,
}: {
  /** The one to delete; null keeps the dialog closed. */
  readonly conversation: Conversation | null;
  readonly onDelete: (id: string) => void;
  readonly onDone: () => void;
}) {
  return (
    <ConfirmDialog
      open={conversation !== null}
      title="Delete this conversation?"
      confirmLabel="Delete"
      onConfirm={() => {
        if (conversation) onDelete(conversation.id);
        onDone();
      }}
      onCancel={onDone}
    >
      <p>
        “{conversation?.title || "New chat"}” and its {conversation?.turns.length ?? 0} messages are removed from this
        computer. The models and workers are not affected.
      </p>
    </ConfirmDialog>
  );
}
