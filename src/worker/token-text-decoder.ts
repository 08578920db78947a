import type { Token } from "node-llama-cpp";

/** The part of a model that turns tokens back into text. */
export type TextDetokenizer = {
  detokenize(tokens: readonly Token[], specialTokens?: boolean, lastTokens?: readonly Token[]): string;
};

// A UTF-8 character spans at most 4 bytes, so at most 4 byte tokens.
const MAX_PENDING_TOKENS = 4;
const RECENT_TOKENS = 16;
const REPLACEMENT_CHARACTER = "\uFFFD";

/**
 * Streaming detokenizer: gives the text of each new token in order. A token that ends inside a
 * multi-byte character gives "" and its bytes arrive with the token that completes the character.
 * The preceding tokens are passed as context so that tokenizers that strip a leading space (SPM)
 * decode a continuation correctly.
 */
export class TokenTextDecoder {
  private pending: Token[] = [];
  private recent: Token[];

  constructor(
    private readonly model: TextDetokenizer,
    contextTokens: readonly Token[] = [],
  ) {
    this.recent = contextTokens.slice(-RECENT_TOKENS);
  }

  /** Adds one generated token; returns the text that is complete now (maybe ""). */
  push(token: Token): string {
    this.pending.push(token);
    const text = this.model.detokenize(this.pending, false, this.recent);
    if (text.endsWith(REPLACEMENT_CHARACTER) && this.pending.length < MAX_PENDING_TOKENS) return "";
    return this.release(text);
  }

  /** Returns whatever is still held (an unfinished character decodes as U+FFFD). */
  flush(): string {
    if (this.pending.length === 0) return "";
    return this.release(this.model.detokenize(this.pending, false, this.recent));
  }

  private release(text: string): string {
    this.recent = [...this.recent, ...this.pending].slice(-RECENT_TOKENS);
    this.pending = [];
    return text;
  }
}
