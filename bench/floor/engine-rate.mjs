// Tokens/s of the worker's own engine code in a fresh process, as one llm-worker-rbee would run:
// `node engine-rate.mjs ROOT MODEL TOKENS [THREADS]` loads MODEL with ROOT's dist/worker engine (cpu,
// one slot), THREADS threads or, when left out, the worker's own choice; generates TOKENS tokens
// twice (the first warms up) and prints one JSON line {threads, tokens_per_second}.
/* global AbortController */
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [root, modelPath, tokensText, threadsText] = process.argv.slice(2);
const threads = threadsText === undefined ? undefined : Number(threadsText);
const load = (file) => import(pathToFileURL(join(root, "dist", "worker", file)).href);
const { loadInferenceEngine } = await load("inference-engine.js");
const { runGeneration } = await load("generation.js");
const engine = await loadInferenceEngine({ modelPath, backend: "cpu", device: 0, slots: 1, ctx: 1024, threads, log: () => undefined });
let rate = 0;
for (let run = 0; run < 2; run++) {
  const sequence = engine.slots.acquire();
  const start = performance.now();
  const end = await runGeneration(
    {
      sequence,
      detokenizer: engine.model,
      promptTokens: [...engine.model.tokenize("hello there")],
      sampling: { maxTokens: Number(tokensText), temperature: 0, topP: undefined, seed: 1, stop: [] },
      signal: new AbortController().signal,
      startedAt: start,
      cachePrompt: false,
    },
    () => undefined,
  );
  rate = (end.tokens_out / (performance.now() - start)) * 1000;
  engine.slots.release(sequence);
}
process.stdout.write(`${JSON.stringify({ threads: engine.threads, tokens_per_second: rate })}\n`, () => process.exit(0));
