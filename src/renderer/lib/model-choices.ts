import { MODEL_ALIASES } from "../../shared/contract/model-catalog.js";
import type { RegisteredWorker } from "../../shared/contract/workers.js";

/** The built-in catalog's aliases, offered in the model pickers. Any other model_ref can be typed. */
export const CATALOG_MODELS: readonly { readonly alias: string; readonly description: string }[] = MODEL_ALIASES;

/** One suggestion of a model picker. */
export interface ModelChoice {
  readonly value: string;
  /** What is said about it: where it is loaded, or the catalog's description. */
  readonly detail: string;
}

/**
 * What the model pickers suggest: models loaded on live workers first (answers start at once), then
 * the catalog's aliases (downloaded on first use).
 */
export function modelChoices(workers: readonly RegisteredWorker[]): ModelChoice[] {
  const loaded = new Map<string, Set<string>>();
  for (const worker of workers) {
    const nodes = loaded.get(worker.model_ref) ?? new Set<string>();
    nodes.add(worker.node_name);
    loaded.set(worker.model_ref, nodes);
  }
  const live = [...loaded].map(([value, nodes]) => ({ value, detail: `loaded on ${[...nodes].sort().join(", ")}` }));
  const catalog = CATALOG_MODELS.filter((entry) => !loaded.has(entry.alias)).map((entry) => ({
    value: entry.alias,
    detail: entry.description,
  }));
  return [...live, ...catalog];
}

/** A model reference as a short name: the file name of a path or URL, or the alias itself. */
export function shortModelName(modelRef: string): string {
  const slash = modelRef.lastIndexOf("/");
  return slash >= 0 ? modelRef.slice(slash + 1) : modelRef.replace(/^file:/, "");
}
