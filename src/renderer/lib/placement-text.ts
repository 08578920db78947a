import type { PlacementPreviewQuery, PlacementPreviewResponse } from "../../shared/contract/engines.js";
import type { Backend } from "../../shared/contract/workers.js";
import { formatBytes } from "./format.js";
import type { SpawnFormValues } from "./spawn-form.js";

/** One node's part of a split model: what it holds and its share of the whole. */
export interface PlacementPart {
  readonly node_name: string;
  readonly backend: Backend;
  readonly bytes: number;
  /** 0…1 of the bytes all parts hold. */
  readonly share: number;
  /** `main` runs llama-server and loads the file; a `shard` runs an rpc-server. */
  readonly role: "main" | "shard";
}

/** A placement preview as the Spawn worker form shows it. */
export interface PlacementView {
  readonly kind: "single" | "split" | "none";
  /** "Runs on gpu-box alone", "Split across 3 nodes", "Fits nowhere". */
  readonly headline: string;
  /** The queen's sentence: why. */
  readonly reason: string;
  /** "Needs 1.30 GiB: 1.00 GiB of weights + 205 MiB of KV cache (2 slots × 4096 tokens) + 96.0 MiB for compute"; null when the size is unknown. */
  readonly need: string | null;
  /** The split's parts, main node first; empty otherwise. */
  readonly parts: readonly PlacementPart[];
  /** Nodes the placement left out, with why ("b: unreachable"). */
  readonly leftOut: readonly string[];
}

/** Describes what the queen would do with a model: one node, a split with the bytes per node, or why it fits nowhere. */
export function describePlacement(preview: PlacementPreviewResponse): PlacementView {
  const need = needText(preview);
  const leftOut = preview.nodes.filter((node) => node.note).map((node) => `${node.node_name}: ${node.note}`);
  const placement = preview.placement;
  if (!placement) return { kind: "none", headline: "Fits nowhere", reason: preview.reason, need, parts: [], leftOut };
  if (placement.kind === "single") {
    const where = `${placement.backend}${placement.backend === "cpu" && placement.device === 0 ? "" : `:${placement.device}`}`;
    return { kind: "single", headline: `Runs on ${placement.node_name} alone (${where}, ${placement.engine})`, reason: preview.reason, need, parts: [], leftOut };
  }
  const raw = [
    { node_name: placement.node_name, backend: placement.backend, bytes: placement.bytes, role: "main" as const },
    ...placement.shards.map((shard) => ({ node_name: shard.node_name, backend: shard.backend, bytes: shard.bytes, role: "shard" as const })),
  ];
  const total = raw.reduce((sum, part) => sum + part.bytes, 0);
  const parts = raw.map((part) => ({ ...part, share: total > 0 ? part.bytes / total : 1 / raw.length }));
  return {
    kind: "split",
    headline: `Split across ${parts.length} nodes: ${placement.node_name} runs llama-server`,
    reason: preview.reason,
    need,
    parts,
    leftOut,
  };
}

function needText(preview: PlacementPreviewResponse): string | null {
  if (preview.need_bytes === null) return null;
  const footprint = preview.footprint;
  if (!footprint) return `Needs ${formatBytes(preview.need_bytes)}`;
  const kv = footprint.kv_bytes_per_token * preview.ctx * preview.slots;
  // The rest is the queen's allowance for llama.cpp's compute buffers and runtime.
  const compute = preview.need_bytes - footprint.weights_bytes - kv;
  const slots = preview.slots === 1 ? "1 slot" : `${preview.slots} slots`;
  const parts = `${formatBytes(footprint.weights_bytes)} of weights + ${formatBytes(kv)} of KV cache (${slots} × ${preview.ctx} tokens)`;
  return `Needs ${formatBytes(preview.need_bytes)}: ${parts}${compute > 0 ? ` + ${formatBytes(compute)} for compute` : ""}`;
}

/** The nodes of a split as the form would name them: the main node, then its shards; null when it is no split. */
export function splitChoice(preview: PlacementPreviewResponse): { readonly node: string; readonly shards: readonly string[] } | null {
  const placement = preview.placement;
  if (placement?.kind !== "split") return null;
  return { node: placement.node_name, shards: placement.shards.map((shard) => shard.node_name) };
}

const WHOLE = /^\d+$/;

/**
 * The preview the form's choices ask for: the chosen node and its shards only, so that it says what
 * this spawn would do; numbers not (yet) valid are left out (the queen's defaults). Null without a model.
 */
export function placementQuery(values: SpawnFormValues): PlacementPreviewQuery | null {
  const model = values.model.trim();
  if (model === "") return null;
  const slots = Number(values.slots);
  const ctx = Number(values.ctx);
  return {
    model,
    backend: values.backend,
    ...(WHOLE.test(values.slots) && slots >= 1 && slots <= 64 ? { slots } : {}),
    ...(WHOLE.test(values.ctx) && ctx >= 16 && ctx <= 1_048_576 ? { ctx } : {}),
    ...(values.node !== "" ? { nodes: [values.node, ...values.shards] } : {}),
  };
}

/** A query's identity, to ask again only when it changes (and to tell a stale answer). */
export function placementKey(query: PlacementPreviewQuery | null): string {
  return query === null ? "" : JSON.stringify([query.model, query.backend, query.slots, query.ctx, query.nodes]);
}
