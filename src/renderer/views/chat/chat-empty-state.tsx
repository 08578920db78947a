import type { Beehive } from "../../../shared/contract/nodes.js";
import { EmptyState } from "../../components/empty-state.js";
import { ChatIcon, ServerIcon, SpinnerIcon } from "../../components/icons.js";
import { TextLink } from "../../components/text-link.js";
import { shortModelName, type ModelOffer } from "../../lib/model-choices.js";
import { modifierLabel } from "../../lib/shortcuts.js";
import { AddThisComputerButton } from "../nodes/add-this-computer-button.js";
import { ModelSuggestions } from "./model-suggestions.js";

/** What the empty state is shown for. */
export interface ChatEmptyStateProps {
  /** The model the conversation sends to ("" when none is chosen or loaded alone). */
  readonly model: string;
  /** Null until the first snapshot. */
  readonly nodes: readonly Beehive[] | null;
  /** This computer's node, if it is one: a click starts the model there. */
  readonly local: Beehive | null;
  /** Null until the catalog arrives. */
  readonly offers: readonly ModelOffer[] | null;
  readonly onStart: (offer: ModelOffer) => void;
}

/** A conversation with no message yet: add a machine first, or start a model with one click. */
export function ChatEmptyState({ model, nodes, local, offers, onStart }: ChatEmptyStateProps) {
  const mod = modifierLabel(navigator.platform);
  if (nodes !== null && nodes.length === 0) {
    return (
      <EmptyState bare icon={<ServerIcon className="size-6" />} title="Add a machine to chat with" action={<AddThisComputerButton primary />}>
        <p>
          Answers come from models running on your own machines. Start with this computer: no SSH, nothing to install. Other
          machines are added in <TextLink href="#/nodes">Nodes</TextLink> ({mod}+1).
        </p>
      </EmptyState>
    );
  }
  const where = local ? "on this computer" : "on the best node";
  return (
    <EmptyState bare icon={<ChatIcon className="size-6" />} title={model ? `Ask ${shortModelName(model)} anything` : "Choose a model to start"}>
      <p>
        One click starts a model {where} and says hello: it is downloaded first if need be, with its progress here. Or type any
        model_ref above, such as <code className="kbd">hf:org/repo/file.gguf</code>.
      </p>
      {nodes !== null && !local ? (
        <p className="mt-2 text-xs">
          This computer is not a node: add it in <TextLink href="#/nodes">Nodes</TextLink> to run models here.
        </p>
      ) : null}
      {offers === null ? (
        <p className="mt-5 flex items-center justify-center gap-2 text-xs text-zinc-500 dark:text-zinc-400">
          <SpinnerIcon className="size-4" />
          Asking the queen for its models…
        </p>
      ) : (
        <ModelSuggestions offers={offers} chosen={model} where={where} onStart={onStart} />
      )}
      <p className="mt-4 text-xs text-zinc-500 dark:text-zinc-400">
        <kbd className="kbd">Enter</kbd> sends · <kbd className="kbd">Shift</kbd>+<kbd className="kbd">Enter</kbd> new line ·{" "}
        <kbd className="kbd">Esc</kbd> stops the answer
      </p>
    </EmptyState>
  );
}
