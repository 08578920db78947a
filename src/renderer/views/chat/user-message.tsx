import { memo } from "react";
import type { ChatTurn } from "../../state/conversations.js";

/** What the user wrote, as typed; memoised, as it never changes while an answer streams. */
export const UserMessage = memo(function UserMessage({ turn }: { readonly turn: ChatTurn }) {
  return (
    <li className="flex justify-end" data-testid="chat-question">
      <div className="max-w-[85%] rounded-2xl rounded-br-md bg-zinc-900 px-3.5 py-2 text-[14.5px] leading-relaxed whitespace-pre-wrap text-white shadow-xs dark:bg-amber-400 dark:text-zinc-950">
        {turn.content}
      </div>
    </li>
  );
});
