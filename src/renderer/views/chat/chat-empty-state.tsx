import type { Beehive } from "../../../shared/contract/nodes.js";
import type { RegisteredWorker } from "../../../shared/contract/workers.js";
import { EmptyState } from "../../components/empty-state.js";
import { ChatIcon, ServerIcon } from "../../components/icons.js";
import { TextLink } from "../../components/text-link.js";
import { modelChoices, shortModelName } from "../../lib/model-choices.js";
import { modifierLabel } from "../../lib/shortcuts.js";
import type { Conversation } from "../../state/conversations.js";
import { ModelSuggestions } from "./model-suggestions.js";

/** What the empty state (and the transcript around it) is shown for. */
export interface ChatEmptyStateProps {
  readonly conversation: Conversation;
  /** Null until the first snapshot. */
  readonly nodes: readonly Beehive[] | null;
  readonly workers: readonly RegisteredWorker[];
  readonly onPickModel: (model: string) => void;
}

/** A conversation with no message yet: add a machine first, or pick a model and the keys to use. */
export function ChatEmptyState({ conversation, nodes, workers, onPickModel }: ChatEmptyStateProps) {
  const mod = modifierLabel(navigator.platform);
  if (nodes !== null && nodes.length === 0) {
    return (
      <EmptyState bare icon={<ServerIcon className="size-6" />} title="Add a machine to chat with">
        <p>
          Answers come from models running on your own machines. Register one in <TextLink href="#/nodes">Nodes</TextLink> (
          {mod}+1), install rbee on it, then come back here: the first message starts a worker by itself.
        </p>
      </EmptyState>
    );
  }
  return (
    <EmptyState
      bare
      icon={<ChatIcon className="size-6" />}
      title={conversation.model ? `Ask ${shortModelName(conversation.model)} anything` : "Choose a model to start"}
    >
      <p>
        Pick a model above: a catalog alias (downloaded on first use), one already loaded on a worker, or any model_ref
        such as <code className="kbd">hf:org/repo/file.gguf</code>. The first message starts a worker if none runs it.
      </p>
      <ModelSuggestions choices={modelChoices(workers)} chosen={conversation.model} onPick={onPickModel} />
      <p className="mt-4 text-xs text-zinc-500 dark:text-zinc-400">
        <kbd className="kbd">Enter</kbd> sends · <kbd className="kbd">Shift</kbd>+<kbd className="kbd">Enter</kbd> new line ·{" "}
        <kbd className="kbd">Esc</kbd> stops the answer
      </p>
    </EmptyState>
  );
}
