/**
 * How a model's layers are shared between the main node (which runs llama-server) and its shards
 * (rpc-servers), as llama-server's `--n-gpu-layers` and `--tensor-split`.
 *
 * What llama.cpp does with them (release v0.4.0, `llama_model_load`): the devices a model may use
 * are every GPU-type device with the RPC devices first, in `--rpc` order, then the node's own GPUs;
 * CPU devices are never in that list. Counting the output layer as one more after the model's L
 * layers, `--n-gpu-layers N` puts the last N of those L + 1 on those devices and the rest on the
 * node's CPU (the input layer always stays there); `--tensor-split` gives each of those devices
 * its share of the N, in that order.
 */

/** The main node as the split sees it: a CPU node (its free RAM) or a GPU node (its GPU's free VRAM). */
export type SplitMain =
  | { readonly kind: "cpu"; readonly freeBytes: number | undefined }
  | { readonly kind: "gpu"; readonly freeBytes: number };

/** What the split is computed from. */
export interface SplitInput {
  readonly main: SplitMain;
  /** Each shard's rpc-server device's free bytes, in `--rpc` order. */
  readonly shardFreeBytes: readonly number[];
  /** The model's layer count (GGUF `block_count`), when the main node's hive could read it. */
  readonly layers: number | undefined;
}

/** llama-server's `--n-gpu-layers` and `--tensor-split`. */
export interface SplitPlan {
  readonly gpuLayers: number;
  readonly tensorSplit: readonly number[];
  /** Layers the main node's CPU keeps, of the L + 1 (0 on a GPU node or when the layer count is unknown). */
  readonly mainLayers: number;
}

/** More than any model's layer count: every layer and the output layer offloaded. */
export const ALL_LAYERS = 999;

/**
 * The split of a model across a main node and its shards, each taking a share of the layers
 * proportional to the memory it has free. A CPU main node keeps its share on its CPU (the layers
 * not offloaded) and the shards share the rest; without a layer count everything goes to the
 * shards. A GPU main node offloads everything, its GPU last in the tensor split.
 */
export function splitLayers(input: SplitInput): SplitPlan {
  const shards = input.shardFreeBytes.map((bytes) => Math.max(0, bytes));
  if (shards.length === 0) throw new RangeError("a split needs at least one shard");
  if (input.main.kind === "gpu") {
    return { gpuLayers: ALL_LAYERS, tensorSplit: shares([...shards, Math.max(0, input.main.freeBytes)]), mainLayers: 0 };
  }
  const mainFree = Math.max(0, input.main.freeBytes ?? 0);
  const layers = input.layers;
  if (layers === undefined || layers <= 0 || mainFree === 0) return { gpuLayers: ALL_LAYERS, tensorSplit: shares(shards), mainLayers: 0 };
  const units = layers + 1;
  const total = mainFree + sum(shards);
  // Each shard must get a layer at least (a shard with none would hold nothing), so the main node keeps at most units − shards.
  const mainLayers = Math.min(Math.floor((units * mainFree) / total), Math.max(0, units - shards.length));
  return { gpuLayers: units - mainLayers, tensorSplit: shares(shards), mainLayers };
}

/** Proportions that sum to 1 (rounded to 4 places); equal shares when nothing is known to be free. */
function shares(bytes: readonly number[]): number[] {
  const total = sum(bytes);
  if (total === 0) return bytes.map(() => round(1 / bytes.length));
  return bytes.map((value) => round(value / total));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
