import type { ChatHistoryItem, ChatWrapper, LlamaModel, LlamaText, Token } from "node-llama-cpp";
import { RbeeError, type ChatMessage } from "../shared/contract/index.js";

/**
 * How a conversation's answer ends: the chat template's end-of-turn triggers, as strings to find in
 * the generated text. A trigger that contains a special token (`<|im_end|>`, `<|eot_id|>`, …) is
 * spelled with a private-use character that stands for that token (`marks`); the generation writes
 * that character into its text stream whenever the model produces the token.
 */
export type EndOfTurn = {
  readonly texts: readonly string[];
  /** Each special token that takes part in a trigger, and the character that stands for it. */
  readonly marks: ReadonlyMap<Token, string>;
};

/** No end-of-turn triggers: a raw completion ends only on the model's own end-of-generation token. */
export const NO_END_OF_TURN: EndOfTurn = { texts: [], marks: new Map() };

/** A conversation rendered with the model's chat template: the tokens to evaluate and how the answer ends. */
export type RenderedChat = {
  readonly tokens: Token[];
  readonly endOfTurn: EndOfTurn;
};

/** The model's chat template, resolved once when the model loads. */
export type ChatTemplate = {
  /** node-llama-cpp's name for it: "JinjaTemplate" for the model's own template, else the built-in wrapper it matched. */
  readonly name: string;
  render(messages: readonly ChatMessage[]): RenderedChat;
};

/** One piece of a resolved trigger: text, or a special token. */
export type TriggerPart = string | Token;

// Private use area of the BMP: one UTF-16 unit per mark, so that no string operation splits one.
const FIRST_MARK = 0xe000;
const LAST_MARK = 0xf8fe;

/**
 * Maps the API's messages to node-llama-cpp's chat history. The history always ends with a model
 * turn, which the template leaves open for the answer: an empty one after a system or user message,
 * or the given assistant message itself, which the answer then continues (a prefilled reply).
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    switch (message.role) {
      case "system":
        return { type: "system", text: message.content };
      case "user":
        return { type: "user", text: message.content };
      case "assistant":
        return { type: "model", response: [message.content] };
    }
  });
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

/**
 * Turns resolved triggers into end-of-turn strings: a trigger of plain text stays as it is; a
 * special token becomes its mark. Triggers that resolve to nothing (a token the model lacks) drop out.
 */
export function endOfTurnFrom(triggers: readonly (readonly TriggerPart[])[]): EndOfTurn {
  const marks = new Map<Token, string>();
  const markOf = (token: Token): string => {
    let mark = marks.get(token);
    if (mark === undefined) {
      const code = FIRST_MARK + marks.size;
      if (code > LAST_MARK) throw new RbeeError("WORKER_FAILED", "The chat template has too many end-of-turn tokens");
      mark = String.fromCharCode(code);
      marks.set(token, mark);
    }
    return mark;
  };
  const texts = new Set<string>();
  for (const trigger of triggers) {
    const text = trigger.map((part) => (typeof part === "string" ? part : markOf(part))).join("");
    if (text !== "") texts.add(text);
  }
  return { texts: [...texts], marks };
}

/** The tokenizer side of a model that resolving triggers needs (LlamaModel has it). */
export type TriggerTokenizer = Pick<LlamaModel, "tokenize" | "detokenize" | "isSpecialToken">;

/**
 * Resolves one stop trigger of a chat wrapper to text and special tokens, as node-llama-cpp's own
 * chat does: a special token by its name (EOS, EOT, …), a special-tokens text by tokenizing it
 * with special tokens and keeping only the tokens that are special (the rest as text).
 */
export function resolveTrigger(trigger: LlamaText, tokenizer: TriggerTokenizer): TriggerPart[] {
  const json = trigger.toJSON();
  const values = typeof json === "string" ? [json] : json;
  const parts: TriggerPart[] = [];
  for (const value of values) {
    if (typeof value === "string") {
      parts.push(value);
    } else if (value.type === "specialToken") {
      const tokens = tokenizer.tokenize(value.value as "EOS", "builtin");
      if (tokens.length === 0) return [];
      parts.push(...tokens);
    } else {
      let text: Token[] = [];
      for (const token of tokenizer.tokenize(value.value, true)) {
        if (tokenizer.isSpecialToken(token)) {
          if (text.length > 0) parts.push(tokenizer.detokenize(text, false));
          text = [];
          parts.push(token);
        } else {
          text.push(token);
        }
      }
      if (text.length > 0) parts.push(tokenizer.detokenize(text, false));
    }
  }
  return parts.filter((part) => part !== "");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * The model's chat template: `wrapper` is what node-llama-cpp's `resolveChatWrapper(model)` chose
 * (the model's own Jinja template when it has one and it works, else the built-in wrapper that fits
 * the model, else its general fallback).
 */
export function chatTemplate(wrapper: ChatWrapper, model: LlamaModel): ChatTemplate {
  return {
    name: wrapper.wrapperName,
    render(messages) {
      let state: ReturnType<ChatWrapper["generateContextState"]>;
      try {
        state = wrapper.generateContextState({ chatHistory: toChatHistory(messages) });
      } catch (error) {
        throw new RbeeError("INVALID_REQUEST", `The model's chat template rejected this conversation: ${describe(error)}`, [
          { field: "messages", message: describe(error) },
        ]);
      }
      return {
        tokens: state.contextText.tokenize(model.tokenizer),
        endOfTurn: endOfTurnFrom(state.stopGenerationTriggers.map((trigger) => resolveTrigger(trigger, model))),
      };
    },
  };
}
