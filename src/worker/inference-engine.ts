import type { Llama, LlamaContext, LlamaContextSequence, LlamaGpuType, LlamaModel } from "node-llama-cpp";
import { RbeeError, type Backend } from "../shared/contract/index.js";
import { chatTemplate, type ChatTemplate } from "./chat-template.js";
import { defaultCpuThreads } from "./cpu-threads.js";
import { Embedder } from "./embedder.js";
import { GrammarCache } from "./job-grammar.js";
import { SlotPool } from "./slot-pool.js";
import { assertModelReadable, type WorkerEngineOptions } from "./worker-engine.js";
import type { WorkerLog } from "./worker-log.js";

export { assertModelReadable };

/** What loading node-llama-cpp needs to know: the worker's engine options without llama-server's own. */
export type EngineOptions = Pick<WorkerEngineOptions, "modelPath" | "backend" | "device" | "slots" | "ctx" | "threads" | "log">;

/** A loaded model with one context holding one sequence per slot. */
export type InferenceEngine = {
  readonly model: LlamaModel;
  readonly slots: SlotPool<LlamaContextSequence>;
  /** Tokens each slot can hold. */
  readonly contextSize: number;
  /** The model's chat template, which renders `messages`. */
  readonly chat: ChatTemplate;
  /** VRAM this worker took on its GPU; undefined on cpu. */
  readonly vramBytes: number | undefined;
  /** The threads llama.cpp evaluates with: `--threads`, or the worker's own choice. */
  readonly threads: number;
  /** Grammars for JSON answers. */
  readonly grammars: GrammarCache;
  /** Embeddings of texts (`POST /v1/embeddings`). */
  readonly embedder: Embedder;
  dispose(): Promise<void>;
};

const DEFAULT_MAX_CONTEXT = 4096;

const GPU_OF_BACKEND: Readonly<Record<Backend, LlamaGpuType>> = {
  cpu: false,
  cuda: "cuda",
  metal: "metal",
  vulkan: "vulkan",
};

// Device selection happens through the GPU runtime's own variable, read when the binary loads.
const DEVICE_ENV: Readonly<Partial<Record<Backend, string>>> = {
  cuda: "CUDA_VISIBLE_DEVICES",
  vulkan: "GGML_VK_VISIBLE_DEVICES",
};

function selectDevice(backend: Backend, device: number): void {
  if (backend === "metal" && device !== 0) {
    throw new RbeeError("BACKEND_UNAVAILABLE", `metal has a single device (0); --device ${device} does not exist`);
  }
  const variable = DEVICE_ENV[backend];
  if (variable === undefined) return;
  const visible = process.env[variable]?.split(",").map((id) => id.trim()).filter((id) => id !== "");
  if (visible && visible.length > 0) {
    const chosen = visible[device];
    if (chosen === undefined) {
      throw new RbeeError("BACKEND_UNAVAILABLE", `${backend} device ${device} is not among ${variable}=${visible.join(",")}`);
    }
    process.env[variable] = chosen;
  } else {
    process.env[variable] = String(device);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Starts llama.cpp on exactly the requested backend. A GPU backend whose binary or driver is missing
 * is an error naming it: node-llama-cpp would otherwise settle for another one (it answers metal
 * with cpu on Linux), so the backend it actually gave is checked too.
 */
export async function startLlama(backend: Backend, device: number, threads: number | undefined, log: WorkerLog): Promise<Llama> {
  selectDevice(backend, device);
  const wanted = GPU_OF_BACKEND[backend];
  // Imported here, not at the top: the library takes a while to import, and the worker listens first.
  const { getLlama, LlamaLogLevel, NoBinaryFoundError } = await import("node-llama-cpp");
  let llama: Llama;
  try {
    llama = await getLlama({
      gpu: wanted,
      build: "never",
      progressLogs: false,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const line = message.trim();
        if (line !== "") log(`llama.cpp ${level}: ${line}`);
      },
      ...(threads !== undefined ? { maxThreads: threads } : {}),
    });
  } catch (error) {
    if (backend === "cpu") throw new RbeeError("WORKER_FAILED", `Could not start llama.cpp on cpu: ${describe(error)}`);
    const why =
      error instanceof NoBinaryFoundError
        ? `no working ${backend} build of llama.cpp: the GPU, its driver or its runtime libraries are missing`
        : describe(error);
    throw new RbeeError(
      "BACKEND_UNAVAILABLE",
      `Backend ${backend} is not available on this machine (${why}); use a node with ${backend} or spawn with --backend cpu`,
    );
  }
  if (llama.gpu !== wanted) {
    const got = llama.gpu === false ? "cpu" : llama.gpu;
    await llama.dispose().catch(() => undefined);
    throw new RbeeError(
      "BACKEND_UNAVAILABLE",
      `Backend ${backend} is not available on this machine (llama.cpp offered ${got}); use a node with ${backend} or spawn with --backend cpu`,
    );
  }
  return llama;
}

async function usedVram(llama: Llama, backend: Backend): Promise<number | undefined> {
  if (backend === "cpu") return undefined;
  try {
    return (await llama.getVramState()).used;
  } catch {
    return undefined;
  }
}

/** Loads the model and creates the context; every failure is an RbeeError with one clear sentence. */
export async function loadInferenceEngine(options: EngineOptions): Promise<InferenceEngine> {
  await assertModelReadable(options.modelPath);
  const llama = await startLlama(options.backend, options.device, options.threads, options.log);
  // node-llama-cpp's own default oversubscribes a small machine's cores (a 2-core box then runs a
  // tiny model at a few tokens/s): a CPU worker picks its count itself. GPU workers keep the default.
  const threads = options.threads ?? (options.backend === "cpu" ? defaultCpuThreads(llama.cpuMathCores) : llama.maxThreads);
  if (options.threads === undefined && options.backend === "cpu") llama.maxThreads = threads;
  options.log(`threads: ${threads}${options.threads === undefined ? ` (chosen: ${llama.cpuMathCores} math cores)` : ""}`);
  const vramBefore = await usedVram(llama, options.backend);
  let model: LlamaModel | undefined;
  let context: LlamaContext | undefined;
  try {
    model = await llama.loadModel({ modelPath: options.modelPath, ...(options.backend === "cpu" ? { gpuLayers: 0 } : {}) });
    const contextSize = options.ctx ?? Math.min(DEFAULT_MAX_CONTEXT, model.trainContextSize);
    const loadedModel = model;
    const loadedContext = await loadedModel.createContext({
      contextSize,
      sequences: options.slots,
      ...(options.threads !== undefined || options.backend === "cpu" ? { threads } : {}),
    });
    context = loadedContext;
    const sequences = Array.from({ length: options.slots }, () => loadedContext.getSequence());
    const { resolveChatWrapper } = await import("node-llama-cpp");
    const chat = chatTemplate(resolveChatWrapper(loadedModel, { warningLogs: false }), loadedModel);
    options.log(`chat template: ${chat.name}`);
    const vramAfter = await usedVram(llama, options.backend);
    const vramBytes =
      vramBefore !== undefined && vramAfter !== undefined ? Math.max(0, Math.round(vramAfter - vramBefore)) : undefined;
    const embedder = new Embedder(loadedModel, loadedContext.contextSize, threads);
    return {
      model: loadedModel,
      grammars: new GrammarCache(loadedModel),
      embedder,
      slots: new SlotPool(sequences),
      contextSize: loadedContext.contextSize,
      chat,
      vramBytes,
      threads,
      dispose: async () => {
        await embedder.dispose();
        await loadedContext.dispose();
        await loadedModel.dispose();
        await llama.dispose();
      },
    };
  } catch (error) {
    await context?.dispose().catch(() => undefined);
    await model?.dispose().catch(() => undefined);
    await llama.dispose().catch(() => undefined);
    if (error instanceof RbeeError) throw error;
    throw new RbeeError("WORKER_FAILED", `Could not load model ${options.modelPath}: ${describe(error)}`);
  }
}
