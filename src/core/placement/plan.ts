import type { Backend, Engine, EngineName, HiveDevices, ModelFootprint, Placement } from "../../shared/contract/index.js";

/**
 * What llama.cpp needs besides the weights and the KV cache: its compute buffers (tens of MiB for
 * small models, a few hundred for large ones at long contexts) and the runtime's own allocations.
 * A fixed allowance keeps the estimate honest without pretending to know the graph.
 */
export const COMPUTE_OVERHEAD_BYTES = 96 * 1024 * 1024;

/** One node as placement sees it: the memory it can give the model now and what it can run. */
export interface NodeMemory {
  readonly node_name: string;
  /** Free VRAM of the chosen GPU, or free RAM (within RBEE_MEMORY_LIMIT_BYTES) for cpu; null when unknown. */
  readonly free_bytes: number | null;
  readonly backend: Backend | null;
  readonly device: number;
  readonly has_model: boolean;
  /** Engines that are ready or buildable there. */
  readonly engines: readonly EngineName[];
  /** What the node says of engines it cannot run (what to install), by engine. */
  readonly engine_detail?: Readonly<Partial<Record<EngineName, string>>> | undefined;
  /** Why it is left out (unreachable, not installed, …); set means the plan never uses it. */
  readonly note?: string | undefined;
}

/** What the plan decides from. */
export interface PlanInput {
  /** Bytes the model needs (weights + KV cache + overhead); null when its size is unknown. */
  readonly need_bytes: number | null;
  readonly nodes: readonly NodeMemory[];
  /** Whether a node without the file can get it (a download or a copy from a holder). */
  readonly fetchable: boolean;
}

/** The plan: a placement (or none), one sentence why, and which nodes were measured and fit alone. */
export interface PlanOutcome {
  readonly placement: Placement | null;
  readonly reason: string;
  readonly need_bytes: number | null;
  /** Nodes whose free memory is known (the rest were left out with a note). */
  readonly measured: readonly string[];
  /** Measured nodes that could run the model alone. */
  readonly fitting: readonly string[];
}

/** Weights + KV cache for `ctx` tokens per slot × `slots` + the compute allowance. */
export function needBytes(footprint: ModelFootprint, ctx: number, slots: number): number {
  return footprint.weights_bytes + footprint.kv_bytes_per_token * ctx * slots + COMPUTE_OVERHEAD_BYTES;
}

/** The context a worker loads by default: the model's own, at most 4096 (as llm-worker-rbee chooses). */
export function defaultCtx(footprint: ModelFootprint | undefined): number {
  const trained = footprint?.context_length ?? 0;
  return trained > 0 ? Math.min(4096, trained) : 4096;
}

const GPU_ORDER: readonly Backend[] = ["cuda", "metal", "vulkan"];

/**
 * A node's memory for a model from its hive's devices: the GPU of `backend` with the most free VRAM,
 * or free RAM for cpu; without a requested backend, its best GPU, else its RAM. Engines come from
 * `engine_status` (ready or buildable), else `engines`, else node-llama-cpp alone (an older hive).
 */
export function nodeMemory(nodeName: string, devices: HiveDevices, hasModel: boolean, backend?: Backend): NodeMemory {
  const engines = enginesOf(devices);
  const engine_detail = Object.fromEntries(
    (devices.engine_status ?? []).filter((status) => status.state === "unavailable").map((status) => [status.engine, status.detail]),
  );
  const base = { node_name: nodeName, has_model: hasModel, engines, engine_detail };
  const gpuOf = (wanted: Backend) =>
    devices.vram
      .filter((gpu) => gpu.backend === wanted && gpu.free_bytes !== null)
      .sort((a, b) => (b.free_bytes ?? 0) - (a.free_bytes ?? 0) || a.device - b.device)[0];
  const cpu = (): NodeMemory =>
    devices.ram_free_bytes === undefined
      ? { ...base, free_bytes: null, backend: "cpu", device: 0, note: "its hive does not report free RAM (update rbee on it)" }
      : { ...base, free_bytes: Math.max(0, Math.floor(devices.ram_free_bytes)), backend: "cpu", device: 0 };
  if (backend === "cpu") return cpu();
  if (backend !== undefined) {
    const gpu = gpuOf(backend);
    if (!gpu) return { ...base, free_bytes: null, backend: null, device: 0, note: `no ${backend} GPU with a free-memory figure` };
    return { ...base, free_bytes: Math.max(0, Math.floor(gpu.free_bytes ?? 0)), backend, device: gpu.device };
  }
  for (const wanted of GPU_ORDER) {
    const gpu = gpuOf(wanted);
    if (gpu) return { ...base, free_bytes: Math.max(0, Math.floor(gpu.free_bytes ?? 0)), backend: wanted, device: gpu.device };
  }
  return cpu();
}

function enginesOf(devices: HiveDevices): EngineName[] {
  const names: readonly EngineName[] = ["node-llama-cpp", "llama-server", "rpc-server"];
  if (devices.engine_status) {
    return names.filter((name) => devices.engine_status!.some((status) => status.engine === name && status.state !== "unavailable"));
  }
  if (devices.engines) return names.filter((name) => devices.engines!.includes(name));
  return ["node-llama-cpp"];
}

/** Bytes in binary units, one decimal: what a reason shows. */
export function sizeText(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let amount = bytes;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  return `${amount.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** The engine a node runs the model with alone: node-llama-cpp, else llama-server; undefined when neither. */
function singleEngine(node: NodeMemory): Engine | undefined {
  if (node.engines.includes("node-llama-cpp")) return "node-llama-cpp";
  if (node.engines.includes("llama-server")) return "llama-server";
  return undefined;
}

type Measured = NodeMemory & { readonly free_bytes: number; readonly backend: Backend };

const byHolderThenFree = (a: Measured, b: Measured): number =>
  Number(b.has_model) - Number(a.has_model) || b.free_bytes - a.free_bytes || a.node_name.localeCompare(b.node_name);
const byFree = (a: Measured, b: Measured): number => b.free_bytes - a.free_bytes || a.node_name.localeCompare(b.node_name);

/**
 * Where a model runs, as a pure function of the nodes' free memory: one node when the need fits
 * its free memory (a node that has the file first, then the most free memory); else split with
 * llama.cpp RPC: a main node that runs llama-server and has the file or can get it (holders
 * first), plus shard nodes that run rpc-server, added by most free memory until the sum fits,
 * each given bytes in proportion to its free memory (never more). Null when nothing fits, with
 * the need and the most free memory in the reason. Nodes with a `note` are never used.
 */
export function planPlacement(input: PlanInput): PlanOutcome {
  const measured = input.nodes.filter((node): node is Measured => node.note === undefined && node.free_bytes !== null && node.backend !== null);
  const names = measured.map((node) => node.node_name);
  const outcome = (placement: Placement | null, reason: string, fitting: readonly string[] = []): PlanOutcome => ({
    placement,
    reason,
    need_bytes: input.need_bytes,
    measured: names,
    fitting,
  });
  if (input.nodes.length === 0) return outcome(null, "No nodes to place it on: add one first");
  const runnable = measured.filter((node) => singleEngine(node) !== undefined);
  if (measured.length === 0) {
    const notes = input.nodes.map((node) => `${node.node_name}: ${node.note ?? "free memory unknown"}`).join("; ");
    return outcome(null, `No node can take it now (${notes})`);
  }
  const single = (node: Measured): Placement => ({ kind: "single", node_name: node.node_name, backend: node.backend, device: node.device, engine: singleEngine(node)! });

  const need = input.need_bytes;
  if (need === null) {
    const [best] = [...runnable].sort(byHolderThenFree);
    if (!best) return outcome(null, "Its size is unknown and no node can run it (none has node-llama-cpp or llama-server)");
    const why = best.has_model ? "which has the file" : `the node with the most free memory (${sizeText(best.free_bytes)})`;
    return outcome(single(best), `Its size is unknown (no node has the file and the catalog has no size), so it goes to ${best.node_name}, ${why}`, runnable.map((node) => node.node_name));
  }

  const fitting = runnable.filter((node) => node.free_bytes >= need).sort(byHolderThenFree);
  const fittingNames = fitting.map((node) => node.node_name);
  const [chosen] = fitting;
  if (chosen) {
    const why = chosen.has_model ? `${chosen.node_name} has the file and ${sizeText(chosen.free_bytes)} free` : `${chosen.node_name} has the most free memory (${sizeText(chosen.free_bytes)})`;
    return outcome(single(chosen), `Needs ${sizeText(need)}; ${why}`, fittingNames);
  }

  const [most] = [...measured].sort(byFree);
  const short = most ? `no node has that much free (most: ${most.node_name}, ${sizeText(most.free_bytes)})` : "no node's free memory is known";
  const mains = measured.filter((node) => node.engines.includes("llama-server") && (node.has_model || input.fetchable)).sort(byHolderThenFree);
  for (const main of mains) {
    const pool = measured.filter((node) => node !== main && node.engines.includes("rpc-server")).sort(byFree);
    const taken: Measured[] = [];
    let sum = main.free_bytes;
    for (const node of pool) {
      if (sum >= need) break;
      taken.push(node);
      sum += node.free_bytes;
    }
    if (sum < need || taken.length === 0) continue;
    const shares = proportionalShares(need, [main, ...taken]);
    const placement: Placement = {
      kind: "split",
      node_name: main.node_name,
      backend: main.backend,
      bytes: shares[0]!,
      shards: taken.map((node, index) => ({ node_name: node.node_name, backend: node.backend, device: node.device, bytes: shares[index + 1]! })),
    };
    const parts = [main, ...taken].map((node, index) => `${node.node_name} ${sizeText(shares[index]!)}`).join(" + ");
    return outcome(placement, `Needs ${sizeText(need)}; ${short}, so it is split: ${parts}`);
  }

  if (mains.length === 0) {
    const detail = measured.map((node) => node.engine_detail?.["llama-server"]).find((text) => text !== undefined);
    const why = measured.some((node) => node.engines.includes("llama-server"))
      ? "and no node that can run llama-server has the file or can get it"
      : `and no node can run llama-server to split it${detail ? ` (${detail})` : ""}`;
    return outcome(null, `Needs ${sizeText(need)}; ${short}, ${why}`);
  }
  const shardable = measured.filter((node) => node.engines.includes("rpc-server") || node === mains[0]);
  const together = shardable.reduce((sum, node) => sum + node.free_bytes, 0);
  const why =
    shardable.length < 2
      ? "and no other node can run rpc-server to hold a share"
      : `and together the nodes that can share it have only ${sizeText(together)} free`;
  return outcome(null, `Needs ${sizeText(need)}; ${short}, ${why}`);
}

/** `need` split in proportion to each node's free memory, whole bytes, none above its free memory. */
function proportionalShares(need: number, nodes: readonly Measured[]): number[] {
  const total = nodes.reduce((sum, node) => sum + node.free_bytes, 0);
  const shares = nodes.map((node) => Math.min(node.free_bytes, Math.floor(need * (node.free_bytes / total))));
  // Whole bytes: what rounding left goes to the nodes with room, main node first.
  let rest = need - shares.reduce((sum, share) => sum + share, 0);
  for (let index = 0; index < nodes.length && rest > 0; index += 1) {
    const room = nodes[index]!.free_bytes - shares[index]!;
    const add = Math.min(room, rest);
    shares[index]! += add;
    rest -= add;
  }
  // Floating-point shares of very large sizes may overshoot by a byte or so: the main node gives it back.
  if (rest < 0) shares[0] = Math.max(0, shares[0]! + rest);
  return shares;
}
