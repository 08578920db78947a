import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { localNodeOf } from "../../lib/local-node.js";
import { modelOffers, type ModelOffer } from "../../lib/model-choices.js";
import { modelHolders } from "../../lib/model-holders.js";
import { effectiveModel } from "../../lib/model-selection.js";
import { isAnswering, type Conversation } from "../../state/conversations.js";
import { useChat, useFleet, useModels } from "../../state/fleet-context.js";
import { useModelCatalog } from "../../state/use-model-catalog.js";
import { ChatEmptyState } from "./chat-empty-state.js";
import { ChatToolbar } from "./chat-toolbar.js";
import { Composer } from "./composer.js";
import { ConversationSidebar } from "./conversation-sidebar.js";
import { DeleteConversationDialog } from "./delete-conversation-dialog.js";
import { Transcript } from "./transcript.js";
import { useLocalDevices } from "./use-local-devices.js";
import { useStopOnEscape } from "./use-stop-on-escape.js";

/** What a one-click start says first: enough to see the model answer. */
const FIRST_MESSAGE = "Hello!";

/** The Chat view: conversations on the left, the shown one on the right, streamed as it is written. */
export function ChatView() {
  const { state, actions } = useChat();
  const { nodes, workers } = useFleet();
  const active = state.conversations.find((c) => c.id === state.activeId) ?? null;
  const [deleting, setDeleting] = useState<Conversation | null>(null);
  const composerRef = useRef<HTMLTextAreaElement>(null);
  const catalog = useModelCatalog();
  const listed = useModels().state.nodes;
  const holders = useMemo(() => modelHolders(listed), [listed]);
  const local = localNodeOf(nodes);
  const localDevices = useLocalDevices(local?.node_name ?? null);
  const live = workers ?? [];
  // With no model chosen, the only one loaded is the one to talk to.
  const model = active ? effectiveModel(active.model, live) : "";

  // There is always a conversation to type into.
  useEffect(() => {
    if (state.conversations.length === 0) actions.newConversation();
  }, [state.conversations.length, actions]);

  const answering = active !== null && isAnswering(active);
  useStopOnEscape(answering, actions.stop);
  const retry = useCallback(() => void actions.retry(), [actions]);

  // One click: the model on this computer (or where it is loaded, or the best node), and a first message.
  const start = (conversation: Conversation, offer: ModelOffer): void => {
    const node = offer.loadedOn.length > 0 ? null : local ? local.node_name : conversation.node;
    actions.configure(conversation.id, { model: offer.model_ref, node });
    actions.send(FIRST_MESSAGE);
    composerRef.current?.focus();
  };

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
              model={model}
              nodes={nodes ?? []}
              workers={live}
              catalog={catalog ?? []}
              holders={holders}
              onChange={(settings) => actions.configure(active.id, settings)}
            />
            <Transcript
              conversation={active}
              thisComputer={local !== null && active.node === local.node_name}
              onRetry={retry}
              empty={
                <ChatEmptyState
                  model={model}
                  nodes={nodes}
                  local={local}
                  offers={catalog ? modelOffers(catalog, live, local ? { devices: localDevices } : null, holders) : null}
                  onStart={(offer) => start(active, offer)}
                />
              }
            />
            <Composer
              key={active.id}
              inputRef={composerRef}
              answering={answering}
              hasModel={model.trim() !== ""}
              onSend={(text) => actions.send(text, model)}
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
