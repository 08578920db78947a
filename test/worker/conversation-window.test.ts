import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/shared/contract/index.js";
import { droppableTurnStarts, fitConversation, withoutOldestTurns } from "../../src/worker/conversation-window.js";

const system = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });

const conversation: ChatMessage[] = [system("s"), user("u1"), assistant("a1"), user("u2"), assistant("a2"), user("u3")];

const contents = (messages: readonly ChatMessage[]): string[] => messages.map((message) => message.content);

describe("conversation window", () => {
  it("finds the turns that may be dropped: each from a user message, never the last user message", () => {
    expect(droppableTurnStarts(conversation)).toEqual([1, 3]);
    // An opening assistant message is a turn of its own; a system message between turns is no turn.
    expect(droppableTurnStarts([assistant("hi"), user("u1"), system("s2"), assistant("a1"), user("u2")])).toEqual([0, 1]);
    expect(droppableTurnStarts([system("s"), user("u")])).toEqual([]);
    expect(droppableTurnStarts([system("s"), assistant("prefill")])).toEqual([]);
  });

  it("drops the oldest turns, keeping every system message, the last user message and what follows it", () => {
    expect(contents(withoutOldestTurns(conversation, 0))).toEqual(["s", "u1", "a1", "u2", "a2", "u3"]);
    expect(contents(withoutOldestTurns(conversation, 1))).toEqual(["s", "u2", "a2", "u3"]);
    expect(contents(withoutOldestTurns(conversation, 2))).toEqual(["s", "u3"]);
    expect(contents(withoutOldestTurns(conversation, 9))).toEqual(["s", "u3"]);
    const prefilled = [user("u1"), system("s2"), assistant("a1"), user("u2"), assistant("prefill")];
    expect(contents(withoutOldestTurns(prefilled, 1))).toEqual(["s2", "u2", "prefill"]);
  });

  it("keeps a conversation that fits whole, else drops the fewest oldest turns that make it fit", () => {
    const length = (messages: readonly ChatMessage[]): number => messages.reduce((sum, message) => sum + message.content.length, 0);
    const two = (n: number): string => String(n).padStart(2, "0");
    const long = [system("s"), ...Array.from({ length: 20 }, (_, n) => [user(`u${two(n)}`), assistant(`a${two(n)}`)]).flat(), user("last")];
    expect(fitConversation(long, length, () => true)).toMatchObject({ droppedTurns: 0, droppedMessages: 0, fits: true });

    const rendered: number[] = [];
    const fitted = fitConversation(long, (messages) => (rendered.push(messages.length), length(messages)), (size) => size <= 30);
    // Each turn is 6 characters, the system and the last user message 5: 4 turns fit in 30.
    expect(fitted).toMatchObject({ fits: true, rendered: 29, droppedTurns: 16, droppedMessages: 32 });
    expect(fitConversation(long, length, (size) => size <= 28)).toMatchObject({ rendered: 23, droppedTurns: 17 });
    expect(contents(withoutOldestTurns(long, 16)).slice(0, 2)).toEqual(["s", "u16"]);
    expect(rendered.length).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(20)));
  });

  it("answers the shortest conversation, not fitting, when nothing makes it fit", () => {
    const length = (messages: readonly ChatMessage[]): number => messages.length;
    expect(fitConversation(conversation, length, (size) => size < 2)).toMatchObject({ rendered: 2, droppedTurns: 2, droppedMessages: 4, fits: false });
    expect(fitConversation([user("u")], length, () => false)).toMatchObject({ rendered: 1, droppedTurns: 0, fits: false });
  });
});
