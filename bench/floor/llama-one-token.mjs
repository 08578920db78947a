// The floor of a cold start: a fresh Node process that loads the model with node-llama-cpp the way
// llm-worker-rbee does (cpu, one thread, the model's context up to 4096) and generates one token.
// Prints one JSON line of phase times (ms since the process started: `begin` is when this script's
// first line ran, after Node's own start) and exits.
import { performance } from "node:perf_hooks";

const begin = performance.now();
const [modelPath, threadsText = "1"] = process.argv.slice(2);
const threads = Number(threadsText);
const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
const imported = performance.now();
const llama = await getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.warn, maxThreads: threads });
const started = performance.now();
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({ contextSize: Math.min(4096, model.trainContextSize), sequences: 1, threads });
const loaded = performance.now();
const sequence = context.getSequence();
for await (const token of sequence.evaluate(model.tokenize("hello"), { temperature: 0.7, seed: 1 })) {
  const first = performance.now();
  process.stdout.write(`${JSON.stringify({ token, begin, imported, started, loaded, first })}\n`, () => process.exit(0));
  break;
}
