import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LlamaText, SpecialToken, SpecialTokensText, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RbeeError, type ChatMessage, type EndEvent, type TokenEvent } from "../../src/shared/contract/index.js";
import { endOfTurnFrom, resolveTrigger, toChatHistory, type EndOfTurn } from "../../src/worker/chat-template.js";
import { runGeneration, type Sampling } from "../../src/worker/generation.js";
import { loadInferenceEngine, type InferenceEngine } from "../../src/worker/inference-engine.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "../helpers/tiny-gguf.js";

// A template that, like many, refuses a conversation that does not alternate user / assistant.
const STRICT_TEMPLATE =
  "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{{ '[' + message['role'] + '] ' + message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '[assistant] ' }}{% endif %}";

let dir: string;
const engines: InferenceEngine[] = [];

async function engine(name: string, chatTemplate?: string): Promise<InferenceEngine> {
  const modelPath = join(dir, `${name}.gguf`);
  await writeTinyGguf(modelPath, { seed: 9, ...(chatTemplate !== undefined ? { chatTemplate } : {}) });
  const loaded = await loadInferenceEngine({ modelPath, backend: "cpu", device: 0, slots: 1, ctx: 1024, threads: 1, log: () => undefined });
  engines.push(loaded);
  return loaded;
}

let plain: InferenceEngine;
let chatml: InferenceEngine;
let strict: InferenceEngine;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-chat-template-test-"));
  [plain, chatml, strict] = await Promise.all([engine("plain"), engine("chatml", CHATML_TEMPLATE), engine("strict", STRICT_TEMPLATE)]);
});

afterAll(async () => {
  for (const loaded of engines) await loaded.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const conversation: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hi" },
  { role: "assistant", content: "Hello!" },
  { role: "user", content: "How are you?" },
];

/**
 * The rendered conversation as text, special tokens spelled out. The tiny model's tokenizer is
 * SentencePiece without the template's markers in its vocabulary, and its detokenizer shows a space
 * before each separately tokenized piece: those spaces are removed.
 */
function rendered(on: InferenceEngine, messages: readonly ChatMessage[]): string {
  return on.model
    .detokenize(on.chat.render(messages).tokens, true)
    .replace(/^<s> /, "<s>")
    .replace(/ (?=<\|im_end\|>|\n)/g, "");
}

async function generate(
  on: InferenceEngine,
  promptTokens: readonly Token[],
  sampling: Partial<Sampling>,
  endOfTurn?: EndOfTurn,
): Promise<{ tokens: TokenEvent[]; end: EndEvent; text: string }> {
  const sequence = on.slots.acquire();
  if (!sequence) throw new Error("no free slot");
  try {
    const tokens: TokenEvent[] = [];
    const end = await runGeneration(
      {
        sequence,
        detokenizer: on.model,
        promptTokens,
        sampling: { maxTokens: 48, temperature: 0, topP: undefined, seed: 1, stop: [], ...sampling },
        ...(endOfTurn ? { endOfTurn } : {}),
        signal: new AbortController().signal,
        startedAt: performance.now(),
      },
      (event) => tokens.push(event),
    );
    return { tokens, end, text: tokens.map((token) => token.t).join("") };
  } finally {
    on.slots.release(sequence);
  }
}

/** The tokens a greedy run produces after `promptTokens`. */
async function greedyTokens(on: InferenceEngine, promptTokens: readonly Token[], count: number): Promise<Token[]> {
  const sequence = on.slots.acquire()!;
  try {
    await sequence.clearHistory();
    const generated: Token[] = [];
    for await (const token of sequence.evaluate([...promptTokens], { temperature: 0 })) {
      generated.push(token);
      if (generated.length === count) break;
    }
    return generated;
  } finally {
    on.slots.release(sequence);
  }
}

describe("toChatHistory", () => {
  it("maps system, user and assistant messages to node-llama-cpp's history and opens the answer", () => {
    expect(toChatHistory(conversation)).toEqual([
      { type: "system", text: "Be brief." },
      { type: "user", text: "Hi" },
      { type: "model", response: ["Hello!"] },
      { type: "user", text: "How are you?" },
      { type: "model", response: [] },
    ]);
  });

  it("keeps a trailing assistant message open, so that the answer continues it", () => {
    expect(toChatHistory([{ role: "user", content: "Count" }, { role: "assistant", content: "1, 2," }])).toEqual([
      { type: "user", text: "Count" },
      { type: "model", response: ["1, 2,"] },
    ]);
  });

  it("opens an answer after a system message alone, and keeps content as given", () => {
    expect(toChatHistory([{ role: "system", content: "  {{not a template}} <|im_end|> " }])).toEqual([
      { type: "system", text: "  {{not a template}} <|im_end|> " },
      { type: "model", response: [] },
    ]);
  });
});

describe("endOfTurnFrom", () => {
  it("keeps text triggers, marks special tokens with one private-use character each, drops empty ones", () => {
    const eot = endOfTurnFrom([["</s>"], [7 as Token], [7 as Token, "\n"], ["\n### ", 9 as Token], [], ["</s>"]]);
    const seven = eot.marks.get(7 as Token)!;
    const nine = eot.marks.get(9 as Token)!;
    expect(seven).toMatch(/^[\uE000-\uF8FF]$/);
    expect(nine).toMatch(/^[\uE000-\uF8FF]$/);
    expect(seven).not.toBe(nine);
    expect(eot.texts).toEqual(["</s>", seven, `${seven}\n`, `\n### ${nine}`]);
  });
});

describe("resolveTrigger", () => {
  it("resolves special tokens by name and special-token text to tokens where the vocabulary has them", () => {
    const eos = plain.model.tokens.eos!;
    expect(resolveTrigger(LlamaText(new SpecialToken("EOS")), plain.model)).toEqual([eos]);
    // The tiny vocabulary has no <|im_end|> token: it stays text.
    expect(resolveTrigger(LlamaText(new SpecialTokensText("<|im_end|>")), plain.model)).toEqual(["<|im_end|>"]);
    expect(resolveTrigger(LlamaText(new SpecialTokensText("</s>\n")), plain.model)).toEqual([eos, "\n"]);
    expect(resolveTrigger(LlamaText("\n### Human"), plain.model)).toEqual(["\n### Human"]);
    // EOT does not exist in this model: the trigger cannot fire.
    expect(resolveTrigger(LlamaText(new SpecialToken("EOT")), plain.model)).toEqual([]);
  });
});

describe("the model's chat template", () => {
  it("renders with the model's own Jinja template when it has one", () => {
    expect(chatml.chat.name).toMatch(/ChatML|JinjaTemplate/);
    expect(rendered(chatml, conversation)).toBe(
      "<s><|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n" +
        "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(chatml.chat.render(conversation).endOfTurn.texts).toContain("<|im_end|>");
  });

  it("falls back to node-llama-cpp's choice for a model without a template, keeping every turn in order", () => {
    const text = rendered(plain, conversation);
    expect(text.startsWith("<s>")).toBe(true);
    const positions = ["Be brief.", "Hi", "Hello!", "How are you?"].map((part) => text.indexOf(part));
    expect(positions.every((at) => at >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(plain.chat.render(conversation).endOfTurn.texts.length).toBeGreaterThan(0);
  });

  it("gives a different token sequence for a different conversation", () => {
    const one = plain.chat.render([{ role: "user", content: "Hi" }]).tokens;
    const two = plain.chat.render([{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello!" }, { role: "user", content: "Hi" }]).tokens;
    expect(two.length).toBeGreaterThan(one.length);
    expect(two).not.toEqual(one);
  });

  it("answers INVALID_REQUEST naming messages when the template refuses the conversation", () => {
    expect(rendered(strict, [{ role: "user", content: "a" }])).toContain("[user] a\n[assistant] ");
    let error: unknown;
    try {
      strict.chat.render([{ role: "assistant", content: "first" }, { role: "user", content: "b" }]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RbeeError);
    expect(error).toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringContaining("roles must alternate"),
      details: [{ field: "messages", message: expect.stringContaining("roles must alternate") }],
    });
  });
});

describe("runGeneration with an end of turn", () => {
  it("ends with eos at the template's end-of-turn text, which is not shown", async () => {
    const prompt = plain.chat.render([{ role: "user", content: "Hi" }]).tokens;
    const free = await generate(plain, prompt, { maxTokens: 48 });
    expect(free.end.stop_reason).toBe("max_tokens");
    // A character that the answer has after some other text.
    const marker = [...free.text].find((char, at) => at > 0 && char !== "\uFFFD" && free.text.indexOf(char) > 0);
    expect(marker, `nothing to end on in ${JSON.stringify(free.text)}`).toBeDefined();
    const ended = await generate(plain, prompt, { maxTokens: 48 }, endOfTurnFrom([[marker!]]));
    expect(ended.end.stop_reason).toBe("eos");
    expect(ended.text).toBe(free.text.slice(0, free.text.indexOf(marker!)));
    expect(ended.end.tokens_out).toBeLessThan(48);

    // The same string as a user's stop string ends with `stop`.
    const stopped = await generate(plain, prompt, { maxTokens: 48, stop: [marker!] });
    expect(stopped.end.stop_reason).toBe("stop");
    expect(stopped.text).toBe(ended.text);
  });

  it("ends with eos on an end-of-turn token, without showing it", async () => {
    const prompt = plain.chat.render([{ role: "user", content: "Hello" }]).tokens;
    const tokens = await greedyTokens(plain, prompt, 10);
    const free = await generate(plain, prompt, { maxTokens: 10 });
    const at = 5;
    const target = tokens[at]!;
    const first = tokens.indexOf(target);
    const ended = await generate(plain, prompt, { maxTokens: 10 }, endOfTurnFrom([[target]]));
    expect(ended.end).toMatchObject({ stop_reason: "eos", tokens_out: first + 1 });
    expect(ended.text).toBe(plain.model.detokenize(tokens.slice(0, first), false, prompt));
    expect(free.text.startsWith(ended.text)).toBe(true);
  });
});
