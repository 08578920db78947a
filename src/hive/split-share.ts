import type { Backend } from "../shared/contract/index.js";

/** How a spawn splits a model: its layers, the layers offloaded, the rpc-servers and the split between devices. */
export interface SplitSpec {
  readonly backend: Backend;
  /** The model's blocks (GGUF block_count). */
  readonly layers: number;
  /** `--gpu-layers`; absent: every layer is offloaded. */
  readonly gpuLayers?: number | undefined;
  readonly rpcCount: number;
  /** `--tensor-split`, RPC devices first (llama.cpp puts them at the front of its device list). */
  readonly tensorSplit?: readonly number[] | undefined;
}

/** The shares of a split model's weights: on the rpc-servers, on this node's own GPU, and in its RAM. */
export interface SplitShares {
  readonly rpc: number;
  readonly localGpu: number;
  readonly ram: number;
}

/**
 * Where a split model's weights go, as fractions of the weights: llama.cpp offloads the last
 * `gpu_layers` blocks and spreads them over its devices by `tensor_split` (default: evenly; a CPU
 * node has no offload device of its own, so all of them go to the rpc-servers); the rest stays in
 * this node's RAM.
 */
export function splitShares(spec: SplitSpec): SplitShares {
  if (spec.layers <= 0 || spec.rpcCount <= 0) return { rpc: 0, localGpu: 0, ram: 1 };
  const offloaded = Math.min(spec.gpuLayers ?? spec.layers, spec.layers) / spec.layers;
  const localDevices = spec.backend === "cpu" ? 0 : 1;
  let rpcShare: number;
  if (spec.tensorSplit && spec.tensorSplit.length > 0) {
    const total = spec.tensorSplit.reduce((sum, value) => sum + value, 0);
    const onRpc = spec.tensorSplit.slice(0, spec.rpcCount).reduce((sum, value) => sum + value, 0);
    rpcShare = total > 0 ? onRpc / total : 1;
  } else {
    rpcShare = spec.rpcCount / (spec.rpcCount + localDevices);
  }
  if (localDevices === 0) rpcShare = 1;
  const rpc = offloaded * rpcShare;
  const localGpu = offloaded - rpc;
  return { rpc, localGpu, ram: 1 - offloaded };
}
