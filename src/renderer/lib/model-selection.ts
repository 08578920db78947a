import type { RegisteredWorker } from "../../shared/contract/workers.js";

/** The model the live workers have loaded when they all hold the same one; null for none or several. */
export function soleLoadedModel(workers: readonly RegisteredWorker[]): string | null {
  // A worker still loading has no model to answer with yet.
  const loaded = new Set(workers.filter((worker) => worker.state !== "loading").map((worker) => worker.model_ref));
  return loaded.size === 1 ? ([...loaded][0] ?? null) : null;
}

/** What a conversation sends to: the model the user chose, else the only one loaded, else "" (choose one). */
export function effectiveModel(chosen: string, workers: readonly RegisteredWorker[]): string {
  if (chosen.trim() !== "") return chosen;
  return soleLoadedModel(workers) ?? "";
}
