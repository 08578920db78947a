import type { ChatMessage } from "../shared/contract/index.js";

/**
 * Where each turn that may be dropped begins, oldest first: a turn begins at a user message (or
 * at the conversation's first message that is not a system message) and runs until the next user
 * message. The last user message and all after it are never in a droppable turn.
 */
export function droppableTurnStarts(messages: readonly ChatMessage[]): number[] {
  const lastUser = messages.findLastIndex((message) => message.role === "user");
  const starts: number[] = [];
  for (let index = 0; index < lastUser; index++) {
    const role = messages[index]?.role;
    if (role === "system") continue;
    if (role === "user" || starts.length === 0) starts.push(index);
  }
  return starts;
}

/** The conversation without its oldest `count` droppable turns; its system messages always stay. */
export function withoutOldestTurns(messages: readonly ChatMessage[], count: number): ChatMessage[] {
  if (count <= 0) return [...messages];
  const starts = droppableTurnStarts(messages);
  if (starts.length === 0) return [...messages];
  const from = starts[0] ?? 0;
  const to = count < starts.length ? (starts[count] ?? 0) : messages.findLastIndex((message) => message.role === "user");
  return messages.filter((message, index) => index < from || index >= to || message.role === "system");
}

/** A conversation as it will be read: its rendering, and how much of it was left out. */
export type FittedConversation<R> = {
  readonly rendered: R;
  /** Oldest turns dropped to make it fit. */
  readonly droppedTurns: number;
  /** The messages those turns held. */
  readonly droppedMessages: number;
  /** False when even the shortest conversation (every droppable turn dropped) does not fit. */
  readonly fits: boolean;
};

/**
 * Renders the conversation whole when it fits, else without as few of its oldest turns as make it
 * fit; when nothing makes it fit, the shortest one, with `fits` false. Dropping turns never makes a
 * rendering longer, so the fewest is found by halving (a few renders even for a long conversation).
 */
export function fitConversation<R>(
  messages: readonly ChatMessage[],
  render: (messages: readonly ChatMessage[]) => R,
  fits: (rendered: R) => boolean,
): FittedConversation<R> {
  const whole = render(messages);
  if (fits(whole)) return { rendered: whole, droppedTurns: 0, droppedMessages: 0, fits: true };
  const turns = droppableTurnStarts(messages).length;
  const at = (count: number): FittedConversation<R> => {
    const kept = withoutOldestTurns(messages, count);
    const rendered = render(kept);
    return { rendered, droppedTurns: count, droppedMessages: messages.length - kept.length, fits: fits(rendered) };
  };
  if (turns === 0) return { rendered: whole, droppedTurns: 0, droppedMessages: 0, fits: false };
  let best = at(turns);
  if (!best.fits) return best;
  // Invariant: dropping `low` turns does not fit, dropping `best.droppedTurns` does.
  let low = 0;
  while (best.droppedTurns - low > 1) {
    const middle = Math.floor((low + best.droppedTurns) / 2);
    const candidate = at(middle);
    if (candidate.fits) best = candidate;
    else low = middle;
  }
  return best;
}
