import type { LlamaContextSequence, Token, TokenMeter } from "node-llama-cpp";

/** How many tokens two token lists share from their beginning. */
export function sharedPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const end = Math.min(a.length, b.length);
  let index = 0;
  while (index < end && a[index] === b[index]) index += 1;
  return index;
}

/**
 * How many of the prompt's tokens a slot holding `held` can keep instead of evaluating them again:
 * the beginning they share, but never the whole prompt. The cache holds no logits, and the first
 * answer token is sampled from the logits of the last prompt token, so that one is always evaluated.
 */
export function reusableTokens(held: readonly Token[], prompt: readonly Token[]): number {
  return Math.max(0, Math.min(sharedPrefixLength(held, prompt), prompt.length - 1));
}

/** A slot is a job's own when taking it throws away at most this share of what it holds… */
const OWN_SLOT_LOSS = 0.25;
/** …or when it already holds at least this share of the prompt. */
const OWN_SLOT_PROMPT = 0.9;

/**
 * What a free slot holding `held` is worth to a job with `prompt`: the tokens it saves, counted only
 * when the slot is the job's own: the prompt continues most of what the slot holds (the next turn
 * of its conversation, a prompt extended after its answer), or the slot holds nearly all of the
 * prompt (the same turn again). Every prompt
 * shares its BOS and its chat template's opening, often a system prompt, with every other; a new
 * conversation that takes another's slot for those would throw that conversation's cache away, so
 * it scores 0, and the pool's tie rule picks the slot free the longest (a never used one first).
 */
export function slotScore(held: readonly Token[], prompt: readonly Token[]): number {
  const shared = sharedPrefixLength(held, prompt);
  const own = shared > 0 && (held.length - shared <= held.length * OWN_SLOT_LOSS || shared >= prompt.length * OWN_SLOT_PROMPT);
  return own ? reusableTokens(held, prompt) : 0;
}

/** The part of a context sequence that prefix reuse reads and trims. */
export type CachedSequence = Pick<LlamaContextSequence, "contextTokens" | "nextTokenIndex" | "eraseContextTokenRanges" | "clearHistory"> & {
  readonly tokenMeter: Pick<TokenMeter, "usedInputTokens">;
};

/** A prompt laid onto a slot: how many of its tokens were taken from the slot's cache, and the rest to evaluate. */
export type PrefixReuse = {
  readonly cached: number;
  readonly rest: readonly Token[];
};

/**
 * Trims the slot to the beginning it shares with `prompt` (to nothing when `cachePrompt` is false) and
 * answers what is left to evaluate, never empty. What the slot holds is read from the sequence
 * itself each time, never from a record of earlier jobs, which a cancelled or failed job, or a
 * context shift, would have made wrong.
 */
export async function reusePrefix(sequence: CachedSequence, prompt: readonly Token[], cachePrompt: boolean): Promise<PrefixReuse> {
  const keep = cachePrompt ? reusableTokens(sequence.contextTokens, prompt) : 0;
  const evaluatedBefore = sequence.tokenMeter.usedInputTokens;
  if (sequence.nextTokenIndex > keep) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  const held = sequence.contextTokens;
  // Not expected: the erase left other tokens than the prompt's beginning. Start clean rather than
  // let the answer read a context that is not the prompt.
  if (held.length > keep || sharedPrefixLength(held, prompt) < held.length) {
    await sequence.clearHistory();
    return { cached: 0, rest: prompt };
  }
  // Where llama.cpp cannot cut a sequence's end in place (a recurrent model, a sliding window that
  // has moved on), node-llama-cpp evaluates the kept tokens again: those were not taken from a cache.
  const evaluatedAgain = sequence.tokenMeter.usedInputTokens - evaluatedBefore;
  return { cached: Math.max(0, held.length - evaluatedAgain), rest: prompt.slice(held.length) };
}
