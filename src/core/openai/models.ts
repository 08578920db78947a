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
  /** Tokens a request may use (the smallest context among the live workers serving it); absent when none says. */
  readonly context_length?: number;
  readonly rbee: {
    /** The hub reference an alias stands for. */
    readonly model_ref?: string;
    readonly description?: string;
    /** Live workers serving this exact id. */
    readonly workers: number;
    /** The nodes that hold the model: those of its live workers, and those whose disk has it. */
    readonly nodes: readonly string[];
  };
};

export type OpenAiModelList = { readonly object: "list"; readonly data: readonly OpenAiModel[] };

/** A model file a node holds on its disk (from a models inventory), by the id a client asks for. */
export type StoredModel = { readonly node_name: string; readonly model_ref: string };

/**
 * The models a client can ask for, as a pure function of the catalog, the live workers and the
 * model files nodes hold (none known: pass nothing): first the model_refs that live workers serve
 * (answered without a cold start), then the files nodes hold that no alias names, then the catalog
 * aliases not among them; each id once, workers counted per id, `rbee.nodes` the nodes serving or
 * holding it.
 */
export function listModels(aliases: readonly ModelAlias[], workers: readonly RegisteredWorker[], stored: readonly StoredModel[] = []): OpenAiModelList {
  const live = new Map<string, RegisteredWorker[]>();
  for (const worker of workers) live.set(worker.model_ref, [...(live.get(worker.model_ref) ?? []), worker]);
  const entry = (id: string, alias: ModelAlias | undefined): OpenAiModel => {
    const serving = live.get(id) ?? [];
    const refs = new Set([id, ...(alias ? [alias.model_ref] : [])]);
    const onDisk = stored.filter((model) => refs.has(model.model_ref)).map((model) => model.node_name);
    const contexts = serving.flatMap((worker) => (worker.context_length !== undefined ? [worker.context_length] : []));
    return {
      id,
      object: "model",
      created: 0,
      owned_by: "rbee",
      ...(contexts.length > 0 ? { context_length: Math.min(...contexts) } : {}),
      rbee: {
        ...(alias ? { model_ref: alias.model_ref, description: alias.description } : {}),
        workers: serving.length,
        nodes: [...new Set([...serving.map((worker) => worker.node_name), ...onDisk])].sort(),
      },
    };
  };
  const aliasOf = (id: string): ModelAlias | undefined => aliases.find((alias) => alias.alias === id);
  const liveIds = [...live.keys()].sort();
  // Files on a node that no worker serves and no alias names: asked for by their model_ref (a cold start).
  const aliased = new Set(aliases.flatMap((alias) => [alias.alias, alias.model_ref]));
  const storedIds = [...new Set(stored.map((model) => model.model_ref))].filter((id) => !live.has(id) && !aliased.has(id)).sort();
  return {
    object: "list",
    data: [
      ...liveIds.map((id) => entry(id, aliasOf(id))),
      ...storedIds.map((id) => entry(id, undefined)),
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
