import { TrashIcon } from "../../components/icons.js";
import { relativeTime } from "../../lib/format.js";
import { shortModelName } from "../../lib/model-choices.js";
import { isAnswering, type Conversation } from "../../state/conversations.js";

/** One conversation in the list: its title, model and age; its delete button shows on hover or focus. */
export function ConversationItem({
  conversation,
  current,
  now,
  onSelect,
  onDelete,
}: {
  readonly conversation: Conversation;
  readonly current: boolean;
  readonly now: number;
  readonly onSelect: () => void;
  readonly onDelete: () => void;
}) {
  const title = conversation.title || "New chat";
  return (
    <li className="group relative">
      <button
        type="button"
        aria-current={current ? "true" : undefined}
        onClick={onSelect}
        className={`block w-full rounded-md py-1.5 pr-8 pl-2.5 text-left transition-colors ${
          current
            ? "bg-zinc-100 ring-1 ring-zinc-200 dark:bg-zinc-800 dark:ring-zinc-700"
            : "hover:bg-zinc-100/70 dark:hover:bg-zinc-800/50"
        }`}
      >
        <span className={`block truncate text-sm ${conversation.title ? "font-medium" : "text-zinc-500 italic dark:text-zinc-400"}`}>
          {title}
        </span>
        <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">
          {conversation.model ? shortModelName(conversation.model) : "no model"} ·{" "}
          {relativeTime(Math.floor(conversation.updated_ms / 1000), now)}
          {isAnswering(conversation) ? " · answering…" : ""}
        </span>
      </button>
      <button
        type="button"
        aria-label={`Delete conversation ${title}`}
        title="Delete conversation"
        onClick={onDelete}
        className="absolute top-1.5 right-1 rounded p-1 text-zinc-400 opacity-0 transition-opacity group-hover:opacity-100 group-focus-within:opacity-100 hover:bg-red-50 hover:text-red-700 focus-visible:opacity-100 dark:hover:bg-red-500/10 dark:hover:text-red-300"
      >
        <TrashIcon className="size-3.5" />
      </button>
    </li>
  );
}
