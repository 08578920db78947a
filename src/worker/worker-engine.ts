// The seam between the worker API (runtime, routes, process) and the program that runs the model:
// node-llama-cpp in this process, or llama.cpp's llama-server as a child. Nothing outside an
// engine's own module knows which one serves.
import { access, constants } from "node:fs/promises";
import {
  RbeeError,
  type Backend,
  type EndEvent,
  type Engine,
  type TokenEvent,
  type WorkerInferenceRequest,
} from "../shared/contract/index.js";
import type { Embeddings } from "./embedder.js";
import type { Sampling } from "./generation.js";
import type { WorkerLog } from "./worker-log.js";

/** The slots an engine has: how many, how many are free, and a listener for every change. */
export type EngineSlots = {
  readonly total: number;
  readonly available: number;
  onChange(listener: () => void): () => void;
};

/** A slot taken for one job, with the job's input prepared: running it, and giving the slot back. */
export type EngineJob = {
  /**
   * Generates, calling `onToken` once per token event, and answers the `end` event (`cancelled`
   * when `signal` aborts). `startedAt` (performance.now()) is when the job was accepted: ttft and
   * decode time count from there. Throws an RbeeError when the generation fails.
   */
  run(signal: AbortSignal, startedAt: number, onToken: (event: TokenEvent) => void): Promise<EndEvent>;
  /** Gives the slot back; safe to call more than once. */
  release(): void;
};

/** A loaded model, whichever program runs it. */
export type WorkerEngine = {
  readonly name: Engine;
  readonly slots: EngineSlots;
  /** Tokens each slot can hold. */
  readonly contextSize: number;
  /** The threads llama.cpp evaluates with. */
  readonly threads: number;
  /** VRAM this worker took on its GPU; undefined on cpu or when the engine cannot tell. */
  readonly vramBytes: number | undefined;
  /**
   * Prepares `request` (tokenized prompt or rendered conversation, grammar) and takes a free slot
   * for it. NO_CAPACITY when every slot is busy; INVALID_REQUEST when the input does not fit or
   * cannot be prepared. Nothing is held when it throws.
   */
  reserve(request: WorkerInferenceRequest, sampling: Sampling): Promise<EngineJob>;
  /** Embeddings of `texts`, in order, holding a slot while it computes (NO_CAPACITY when none is free). */
  embed(texts: readonly string[]): Promise<Embeddings>;
  dispose(): Promise<void>;
};

/** What loading an engine needs to know. */
export type WorkerEngineOptions = {
  readonly modelPath: string;
  readonly backend: Backend;
  readonly device: number;
  readonly slots: number;
  readonly ctx: number | undefined;
  readonly threads: number | undefined;
  readonly log: WorkerLog;
  /** llama-server only: loopback `host:port` endpoints of rpc-servers holding part of the model. */
  readonly rpc: readonly string[];
  /** llama-server only: the share of the model each device takes (`--tensor-split`). */
  readonly tensorSplit: readonly number[] | undefined;
  /** llama-server only: layers offloaded to the GPU or the RPC devices (`-ngl`). */
  readonly gpuLayers: number | undefined;
  /**
   * Called once when the engine fails for good after loading (llama-server exited): its running
   * jobs have already ended with an error; the worker should exit non-zero.
   */
  readonly onFatal: (error: RbeeError) => void;
};

/** The NO_CAPACITY answer when every slot of an engine is busy. */
export function busyError(total: number): RbeeError {
  return new RbeeError("NO_CAPACITY", `All ${total} slot(s) of this worker are busy; retry later or spawn another worker`);
}

/** INVALID_REQUEST for a raw prompt of `length` tokens in a context of `size`. */
export function promptTooLong(length: number, size: number): RbeeError {
  return new RbeeError("INVALID_REQUEST", `The prompt is ${length} tokens; this worker's context holds ${size}`, [
    { field: "prompt", message: `too long: ${length} tokens, the context holds ${size}` },
  ]);
}

/** INVALID_REQUEST for a conversation of `length` tokens in a context of `size`. */
export function conversationTooLong(length: number, size: number, cut = ""): RbeeError {
  return new RbeeError("INVALID_REQUEST", `The conversation is ${length} tokens${cut}; this worker's context holds ${size}`, [
    { field: "messages", message: `too long: ${length} tokens${cut}, the context holds ${size}` },
  ]);
}

/** Throws MODEL_NOT_FOUND unless `modelPath` is a readable file. */
export async function assertModelReadable(modelPath: string): Promise<void> {
  try {
    await access(modelPath, constants.R_OK);
  } catch {
    throw new RbeeError("MODEL_NOT_FOUND", `Model file ${modelPath} does not exist or is not readable`);
  }
}

/** Loads the model with `engine`; each engine's module is imported only when it is the one asked for. */
export async function loadWorkerEngine(engine: Engine, options: WorkerEngineOptions): Promise<WorkerEngine> {
  if (engine === "llama-server") {
    const { loadLlamaServerEngine } = await import("./llama-server-engine.js");
    return loadLlamaServerEngine(options);
  }
  if (options.rpc.length > 0 || options.tensorSplit !== undefined || options.gpuLayers !== undefined) {
    throw new RbeeError("INVALID_REQUEST", "--rpc, --tensor-split and --gpu-layers need --engine llama-server");
  }
  const { loadNodeLlamaCppEngine } = await import("./node-llama-cpp-engine.js");
  return loadNodeLlamaCppEngine(options);
}
