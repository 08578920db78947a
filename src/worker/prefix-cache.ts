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

/**
 * What a free slot holding `held` is worth to a job with `prompt`: the tokens it saves, counted only
 * when they are at least half the prompt. Every prompt shares its BOS and its chat template's opening
 * with every other; below half, the slot saves little, and the pool's tie rule picks the slot free the
 * longest (a never used one first) rather than overwrite what another conversation will likely
 * continue.
 */
export function slotScore(held: readonly Token[], prompt: readonly Token[]): number {
  const reusable = reusableTokens(held, prompt);
  return reusable > 0 && reusable * 2 >= prompt.length ? reusable : 0;
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
