import { RbeeError, type RegisteredWorker } from "../../shared/contract/index.js";
import type { ModelAlias } from "../../shared/contract/model-catalog.js";
import { parseModelRef } from "../../shared/contract/model-ref.js";

/** One entry of `GET /v1/models`: OpenAI's model object, with what rbee knows about it under `rbee`. */
export type OpenAiModel = {
  readonly id: string;
  readonly object: "model";
  /** rbee does not know when a model was made: always 0. */
  readonly created: 0;
  readonly owned_by: "rbee";
  readonly rbee: {
    /** The hub reference an alias stands for. */
    readonly model_ref?: string;
    readonly description?: string;
    /** Live workers serving this exact id, and their nodes. */
    readonly workers: number;
    readonly nodes: readonly string[];
  };
};

export type OpenAiModelList = { readonly object: "list"; readonly data: readonly OpenAiModel[] };

/**
 * The models a client can ask for, as a pure function of the catalog and the live workers: first
 * the model_refs that live workers serve (answered without a cold start), then the catalog aliases
 * not among them; each id once, workers counted per id.
 */
export function listModels(aliases: readonly ModelAlias[], workers: readonly RegisteredWorker[]): OpenAiModelList {
  const live = new Map<string, RegisteredWorker[]>();
  for (const worker of workers) live.set(worker.model_ref, [...(live.get(worker.model_ref) ?? []), worker]);
  const entry = (id: string, alias: ModelAlias | undefined): OpenAiModel => {
    const serving = live.get(id) ?? [];
    return {
      id,
      object: "model",
      created: 0,
      owned_by: "rbee",
      rbee: {
        ...(alias ? { model_ref: alias.model_ref, description: alias.description } : {}),
        workers: serving.length,
        nodes: [...new Set(serving.map((worker) => worker.node_name))].sort(),
      },
    };
  };
  const aliasOf = (id: string): ModelAlias | undefined => aliases.find((alias) => alias.alias === id);
  const liveIds = [...live.keys()].sort();
  return {
    object: "list",
    data: [
      ...liveIds.map((id) => entry(id, aliasOf(id))),
      ...aliases.filter((alias) => !live.has(alias.alias)).map((alias) => entry(alias.alias, alias)),
    ],
  };
}

/**
 * Checks that `model` names something a node can run before anything is scheduled: a model a live
 * worker serves, a catalog alias or a well-formed model_ref (hf:, https:, file:). Anything else is
 * MODEL_NOT_FOUND at once rather than a spawn that fails on a node (OpenAI clients often default to
 * names like "gpt-4o-mini").
 */
export function assertKnownModel(model: string, workers: readonly RegisteredWorker[]): void {
  if (workers.some((worker) => worker.model_ref === model)) return;
  try {
    parseModelRef(model);
  } catch (error) {
    if (!(error instanceof RbeeError)) throw error;
    const why = error.code === "MODEL_NOT_FOUND" ? error.message : `The model '${model}' is not a valid model_ref: ${error.details?.[0]?.message ?? error.message}`;
    throw new RbeeError("MODEL_NOT_FOUND", why, [{ field: "model", message: why }]);
  }
}
