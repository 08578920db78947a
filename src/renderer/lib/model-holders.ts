import type { NodeModels } from "../../shared/contract/fleet-models.js";

/** Which nodes hold each model file: model_ref → node names in order (empty until the models are listed). */
export type ModelHolders = ReadonlyMap<string, readonly string[]>;

/** The nodes that hold each model, from `GET /v2/models/list` (a node that could not be asked holds nothing known). */
export function modelHolders(nodes: readonly NodeModels[] | null): ModelHolders {
  const held = new Map<string, Set<string>>();
  for (const node of nodes ?? []) {
    for (const model of node.models) held.set(model.model_ref, (held.get(model.model_ref) ?? new Set<string>()).add(node.node_name));
  }
  return new Map([...held].map(([modelRef, names]) => [modelRef, [...names].sort()]));
}

/** The nodes holding a model asked for by any of `refs` (its model_ref, its alias). */
export function holdersOf(holders: ModelHolders, ...refs: readonly string[]): readonly string[] {
  const names = new Set<string>();
  for (const ref of refs) for (const name of holders.get(ref) ?? []) names.add(name);
  return [...names].sort();
}
