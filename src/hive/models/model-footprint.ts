import { stat } from "node:fs/promises";
import { type ModelFootprint, RbeeError } from "../../shared/contract/index.js";

/** The header numbers a footprint is computed from. */
export interface GgufShape {
  readonly fileBytes: number;
  /** Where the tensor data starts (the first tensor's offset in the file); undefined without tensors. */
  readonly dataOffset: number | undefined;
  readonly layers: number;
  readonly contextLength: number;
  readonly embedding: number;
  readonly heads: number;
  readonly headsKv: number;
}

/**
 * What a model takes in memory, from its header: the weights (the file less its header), its
 * layers and context, and the f16 KV cache per token: 2 (K and V) × layers × (embedding / heads ×
 * KV heads) × 2 bytes.
 */
export function footprintOf(modelRef: string, shape: GgufShape): ModelFootprint {
  const headDim = shape.heads > 0 ? shape.embedding / shape.heads : 0;
  return {
    model_ref: modelRef,
    weights_bytes: Math.max(0, shape.fileBytes - (shape.dataOffset ?? shape.fileBytes)),
    layers: shape.layers,
    context_length: shape.contextLength,
    kv_bytes_per_token: Math.round(2 * shape.layers * headDim * (shape.headsKv || shape.heads) * 2),
  };
}

function count(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "bigint") return Number(value);
  // Per-layer arrays (some architectures give head counts per layer): the largest one.
  if (Array.isArray(value)) return value.reduce((top: number, entry) => Math.max(top, count(entry)), 0);
  return 0;
}

/** The header shape of the GGUF file at `path` (read with node-llama-cpp's parser; only the header is read). */
export async function readGgufShape(path: string, modelRef: string): Promise<GgufShape> {
  const { readGgufFileInfo } = await import("node-llama-cpp");
  const [info, stats] = await Promise.all([
    readGgufFileInfo(path, {
      sourceType: "filesystem",
      logWarnings: false,
      // The vocabulary is most of a header and says nothing about memory.
      ignoreKeys: ["tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges"],
    }).catch((error: unknown) => {
      throw new RbeeError("INVALID_REQUEST", `${modelRef} is not a GGUF file this node can read: ${error instanceof Error ? error.message : String(error)}`);
    }),
    stat(path),
  ]);
  const arch = info.architectureMetadata as Record<string, unknown>;
  const attention = (arch.attention ?? {}) as Record<string, unknown>;
  const offsets = (info.fullTensorInfo ?? info.tensorInfo ?? []).map((tensor) => Number(tensor.fileOffset));
  return {
    fileBytes: stats.size,
    dataOffset: offsets.length > 0 ? offsets.reduce((low, offset) => Math.min(low, offset)) : undefined,
    layers: count(arch.block_count),
    contextLength: count(arch.context_length),
    embedding: count(arch.embedding_length),
    heads: count(attention.head_count),
    headsKv: count(attention.head_count_kv),
  };
}
