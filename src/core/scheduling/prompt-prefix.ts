import { createHash } from "node:crypto";
import type { ChatMessage } from "../../shared/contract/index.js";

/** One beginning of a prompt: how many characters it covers and a hash of them. */
export interface PrefixMark {
  readonly chars: number;
  readonly hash: string;
}

/** Raw prompts are marked at these lengths (and at their full length): a few marks cover any size. */
const PROMPT_MARKS = [64, 256, 1_024, 4_096, 16_384, 65_536, 262_144];

function chain(previous: string, part: string): string {
  return createHash("sha256").update(previous).update("\u0000").update(part).digest("base64url").slice(0, 22);
}

/** A request's input as the marks see it. */
export type PromptInput = { readonly prompt?: string | undefined; readonly messages?: readonly ChatMessage[] | undefined };

/**
 * The beginnings of a request's input, shortest first, as hashes. A conversation is marked after
 * each message (the next turn of it repeats every one of them); a raw prompt at a few fixed lengths.
 * Two inputs with a mark in common begin with the same text: a worker that ran one likely holds the
 * other's beginning in a slot's cache.
 */
export function prefixMarks(input: PromptInput): PrefixMark[] {
  const marks: PrefixMark[] = [];
  if (input.messages !== undefined) {
    let hash = "messages";
    let chars = 0;
    for (const message of input.messages) {
      hash = chain(hash, `${message.role}\u0001${message.content}`);
      chars += message.content.length + 1;
      marks.push({ chars, hash });
    }
    return marks;
  }
  const prompt = input.prompt ?? "";
  for (const length of [...PROMPT_MARKS.filter((mark) => mark < prompt.length), prompt.length]) {
    marks.push({ chars: length, hash: chain("prompt", prompt.slice(0, length)) });
  }
  return marks;
}

/**
 * The marks a worker that ran `input` is known by. A conversation: only its whole (what the slot
 * holds), so that a new conversation sharing just its opening messages is not sent to that worker,
 * whose slot it would take. A raw prompt: every mark, since documents shared by many prompts are
 * what its cache is for.
 */
export function heldMarks(input: PromptInput, marks: readonly PrefixMark[]): PrefixMark[] {
  if (input.messages === undefined) return [...marks];
  const whole = marks.at(-1);
  return whole ? [whole] : [];
}
