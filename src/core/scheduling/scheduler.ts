import type { Beehive, NodeStatus, RegisteredWorker } from "../../shared/contract/index.js";
import type { PlanOutcome } from "../placement/plan.js";
import { unknownNodeMessage } from "../registry/unknown-node.js";

/** What a request asks for: a model, optionally on one node. */
export interface Placement {
  readonly model: string;
  readonly node?: string | undefined;
  /** Workers likely to hold the request's beginning in a cache, and how strongly (higher first). */
  readonly affinity?: ReadonlyMap<string, number> | undefined;
  /** When each worker was last given a job: among equals, the longest unused goes first, so new conversations spread. */
  readonly lastAssigned?: ReadonlyMap<string, number> | undefined;
  /** The nodes known to have the model's file: a spawn goes there before a node that would fetch it. */
  readonly holders?: ReadonlySet<string> | undefined;
  /**
   * Where the model fits in the nodes' free memory (src/core/placement/plan.ts): a spawn goes to a
   * node it fits on, else split as the plan says, else to a node whose memory is unknown; it fails
   * with the plan's reason when it fits nowhere. Ignored when the model's size is unknown.
   */
  readonly plan?: PlanOutcome | undefined;
}

/** The scheduler's answer: reuse a worker, wait for one, spawn on a node, or why none is possible. */
export type Decision =
  | { readonly kind: "reuse"; readonly worker: RegisteredWorker }
  | { readonly kind: "wait"; readonly reason: string }
  | { readonly kind: "spawn"; readonly node: Beehive; readonly shards?: readonly string[] }
  | { readonly kind: "none"; readonly reason: string; readonly unknownNode?: true };

/** Key of an in-flight spawn: one model on one node. */
export function spawnKey(nodeName: string, model: string): string {
  return `${nodeName}\u0000${model}`;
}

const SPAWNABLE: readonly NodeStatus[] = ["ready", "reachable"];

/**
 * Where a request runs, as a pure function of the registries' snapshot: among the workers with the
 * model (on the requested node if any) that have a free slot, the one with the strongest affinity
 * (it served the conversation, or holds the longest shared beginning); then an idle one with the
 * most free slots; else a busy one that still has a free slot; among equals the one given a job
 * longest ago. When workers with the model exist but are all full or loading, or one is being spawned,
 * the request waits for a slot rather than starting a spawn storm. Otherwise it spawns on the
 * requested node, or on the best node (one that has the model's file before one that must fetch it,
 * ready before reachable, then the fewest busy slots, then the fewest workers, then by name for a
 * stable answer).
 */
export function schedule(
  placement: Placement,
  nodes: readonly Beehive[],
  workers: readonly RegisteredWorker[],
  spawning: ReadonlySet<string> = new Set(),
): Decision {
  const withModel = workers.filter(
    (w) => w.model_ref === placement.model && (placement.node === undefined || w.node_name === placement.node),
  );
  const candidates = withModel.filter((w) => w.state !== "loading" && w.slots_available > 0);
  const affinity = (worker: RegisteredWorker): number => placement.affinity?.get(worker.id) ?? 0;
  const lastAssigned = (worker: RegisteredWorker): number => placement.lastAssigned?.get(worker.id) ?? 0;
  const best = [...candidates].sort(
    (a, b) =>
      affinity(b) - affinity(a) ||
      stateRank(a) - stateRank(b) ||
      b.slots_available - a.slots_available ||
      lastAssigned(a) - lastAssigned(b) ||
      a.id.localeCompare(b.id),
  )[0];
  if (best) return { kind: "reuse", worker: best };
  const pending = [...spawning].some((key) => {
    const [node, model] = key.split("\u0000");
    return model === placement.model && (placement.node === undefined || node === placement.node);
  });
  if (withModel.length > 0 || pending) {
    return { kind: "wait", reason: `Every worker with ${placement.model} is busy or still loading` };
  }

  if (placement.node !== undefined) {
    const node = nodes.find((n) => n.node_name === placement.node);
    if (!node) return { kind: "none", reason: unknownNodeMessage(placement.node, nodes.map((n) => n.node_name)), unknownNode: true };
    if (node.status === "installing") return { kind: "none", reason: `Node "${node.node_name}" is still installing` };
    return { kind: "spawn", node };
  }
  const spawnable = nodes.filter((n) => SPAWNABLE.includes(n.status));
  if (spawnable.length === 0) {
    return {
      kind: "none",
      reason: nodes.length === 0 ? "No nodes registered: add one first" : "No node is reachable or ready",
    };
  }
  const byMemory = memoryChoice(placement.plan, spawnable, nodes);
  if (byMemory.kind !== "nodes") return byMemory.decision;
  const usable = byMemory.nodes;
  const load = (node: Beehive) => {
    const onNode = workers.filter((w) => w.node_name === node.node_name);
    return {
      busySlots: onNode.reduce((sum, w) => sum + (w.slots_total - w.slots_available), 0),
      count: onNode.length,
    };
  };
  const [chosen] = [...usable].sort((a, b) => {
    const la = load(a);
    const lb = load(b);
    const has = (node: Beehive): number => Number(placement.holders?.has(node.node_name) ?? false);
    return (
      has(b) - has(a) ||
      Number(b.status === "ready") - Number(a.status === "ready") ||
      la.busySlots - lb.busySlots ||
      la.count - lb.count ||
      a.node_name.localeCompare(b.node_name)
    );
  });
  return chosen ? { kind: "spawn", node: chosen } : { kind: "none", reason: "No node is reachable or ready" };
}

/** The nodes a single spawn may go to given the plan, or the split / failure the plan decides instead. */
function memoryChoice(
  plan: PlanOutcome | undefined,
  spawnable: readonly Beehive[],
  nodes: readonly Beehive[],
): { readonly kind: "nodes"; readonly nodes: readonly Beehive[] } | { readonly kind: "decided"; readonly decision: Decision } {
  if (plan === undefined || plan.need_bytes === null) return { kind: "nodes", nodes: spawnable };
  const fitting = spawnable.filter((node) => plan.fitting.includes(node.node_name));
  if (fitting.length > 0) return { kind: "nodes", nodes: fitting };
  if (plan.placement?.kind === "split") {
    const main = nodes.find((node) => node.node_name === plan.placement!.node_name);
    if (main) return { kind: "decided", decision: { kind: "spawn", node: main, shards: plan.placement.shards.map((shard) => shard.node_name) } };
  }
  // Nodes whose free memory could not be read may still have room: the spawn finds out.
  const unmeasured = spawnable.filter((node) => !plan.measured.includes(node.node_name));
  if (unmeasured.length > 0) return { kind: "nodes", nodes: unmeasured };
  return { kind: "decided", decision: { kind: "none", reason: plan.reason } };
}

function stateRank(worker: RegisteredWorker): number {
  return worker.state === "idle" ? 0 : 1;
}
