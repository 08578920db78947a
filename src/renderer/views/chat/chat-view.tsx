import { useEffect, useRef, useState } from "react";
import { isAnswering, type Conversation } from "../../state/conversations.js";
import { useChat, useFleet } from "../../state/fleet-context.js";
import { ChatToolbar } from "./chat-toolbar.js";
import { Composer } from "./composer.js";
import { ConversationSidebar } from "./conversation-sidebar.js";
import { DeleteConversationDialog } from "./delete-conversation-dialog.js";
import { Transcript } from "./transcript.js";
import { useStopOnEscape } from "./use-stop-on-escape.js";

/** The Chat view: conversations on the left, the shown one on the right, streamed as it is written. */
export function ChatView() {
  const { state, actions } = useChat();
  const { nodes, workers } = useFleet();
  const active = state.conversations.find((c) => c.id === state.activeId) ?? null;
  const [deleting, setDeleting] = useState<Conversation | null>(null);
  const composerRef = useRef<HTMLTextAreaElement>(null);

  // There is always a conversation to type into.
  useEffect(() => {
    if (state.conversations.length === 0) actions.newConversation();
  }, [state.conversations.length, actions]);

  const answering = active !== null && isAnswering(active);
  useStopOnEscape(answering, actions.stop);

  return (
    <div className="flex h-full min-h-0">
      <ConversationSidebar
        conversations={state.conversations}
        activeId={state.activeId}
        onNew={() => {
          actions.newConversation();
          composerRef.current?.focus();
        }}
        onSelect={(id) => actions.select(id)}
        onDelete={setDeleting}
      />
      <section aria-label="Chat" className="flex min-w-0 flex-1 flex-col">
        {active ? (
          <>
            <ChatToolbar
              conversation={active}
              nodes={nodes ?? []}
              workers={workers ?? []}
              onChange={(settings) => actions.configure(active.id, settings)}
            />
            <Transcript
              conversation={active}
              nodes={nodes}
              workers={workers ?? []}
              onPickModel={(model) => {
                actions.configure(active.id, { model });
                composerRef.current?.focus();
              }}
            />
            <Composer
              key={active.id}
              inputRef={composerRef}
              answering={answering}
              hasModel={active.model.trim() !== ""}
              onSend={(text) => actions.send(text)}
              onStop={() => actions.stop()}
            />
          </>
        ) : null}
      </section>
      <DeleteConversationDialog
        conversation={deleting}
        onDelete={(id) => actions.deleteConversation(id)}
        onDone={() => setDeleting(null)}
      />
    </div>
  );
}
