import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EndEvent, TokenEvent } from "../../src/shared/contract/index.js";
import { runGeneration, type Sampling } from "../../src/worker/generation.js";
import { loadInferenceEngine, type InferenceEngine } from "../../src/worker/inference-engine.js";
import { writeTinyGguf, type TinyGgufEos } from "../helpers/tiny-gguf.js";

let dir: string;
const engines: InferenceEngine[] = [];

async function engine(eos: TinyGgufEos): Promise<InferenceEngine> {
  const modelPath = join(dir, `tiny-${eos}.gguf`);
  await writeTinyGguf(modelPath, { seed: 5, eos });
  const loaded = await loadInferenceEngine({ modelPath, backend: "cpu", device: 0, slots: 1, ctx: 512, threads: 1, log: () => undefined });
  engines.push(loaded);
  return loaded;
}

let model: InferenceEngine;
let eosModel: InferenceEngine;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-generation-test-"));
  [model, eosModel] = await Promise.all([engine("never"), engine("always")]);
});

afterAll(async () => {
  for (const loaded of engines) await loaded.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function generate(
  on: InferenceEngine,
  prompt: string,
  sampling: Partial<Sampling>,
  signal: AbortSignal = new AbortController().signal,
  onToken: (event: TokenEvent) => void = () => undefined,
): Promise<{ tokens: TokenEvent[]; end: EndEvent; text: string }> {
  const sequence = on.slots.acquire();
  if (!sequence) throw new Error("no free slot");
  try {
    const tokens: TokenEvent[] = [];
    const end = await runGeneration(
      {
        sequence,
        detokenizer: on.model,
        promptTokens: [on.model.tokens.bos!, ...on.model.tokenize(prompt)],
        sampling: { maxTokens: 32, temperature: 0, topP: undefined, seed: 1, stop: [], ...sampling },
        signal,
        startedAt: performance.now(),
      },
      (event) => {
        tokens.push(event);
        onToken(event);
      },
    );
    return { tokens, end, text: tokens.map((token) => token.t).join("") };
  } finally {
    on.slots.release(sequence);
  }
}

describe("runGeneration", () => {
  it("streams exactly max_tokens tokens whose pieces join into the decoded text", async () => {
    const { tokens, end, text } = await generate(model, "Hello", { maxTokens: 40 });
    expect(end).toMatchObject({ type: "end", tokens_out: 40, stop_reason: "max_tokens" });
    expect(tokens.map((token) => token.i)).toEqual([...Array(40).keys()]);

    // The same greedy generation, decoded in one go: the streamed pieces must add up to it.
    const sequence = model.slots.acquire()!;
    try {
      await sequence.clearHistory();
      const generated: Token[] = [];
      for await (const token of sequence.evaluate([model.model.tokens.bos!, ...model.model.tokenize("Hello")], { temperature: 0 })) {
        generated.push(token);
        if (generated.length === 40) break;
      }
      expect(text).toBe(model.model.detokenize(generated, false, model.model.tokenize("Hello")));
    } finally {
      model.slots.release(sequence);
    }
  });

  it("ends on a stop string without showing it", async () => {
    const sampling = { maxTokens: 64, temperature: 1, seed: 3 };
    const full = await generate(model, "Stop test", sampling);
    const stop = [...full.text.slice(4)].find((char) => /[A-Za-z0-9]/.test(char));
    expect(stop, `no ASCII character to stop on in ${JSON.stringify(full.text)}`).toBeDefined();
    const stopped = await generate(model, "Stop test", { ...sampling, stop: [stop!] });
    expect(stopped.end.stop_reason).toBe("stop");
    expect(stopped.end.stop_sequence).toBe(stop);
    expect(stopped.text).toBe(full.text.slice(0, full.text.indexOf(stop!)));
    expect(stopped.end.tokens_out).toBeLessThan(64);
  });

  it("ends with eos when the model ends the text itself", async () => {
    const { end, tokens } = await generate(eosModel, "Anything", { maxTokens: 16 });
    expect(end).toMatchObject({ tokens_out: 0, stop_reason: "eos" });
    expect(tokens).toEqual([]);
  });

  it("ends with cancelled when its signal aborts", async () => {
    const controller = new AbortController();
    const { end } = await generate(model, "Cancel me", { maxTokens: 10_000 }, controller.signal, (event) => {
      if (event.i === 4) controller.abort();
    });
    expect(end).toMatchObject({ tokens_out: 5, stop_reason: "cancelled" });
  });
});
