import { createHash } from "node:crypto";
import type { RegisteredWorker } from "../../shared/contract/index.js";
import type { ModelAlias } from "../../shared/contract/model-catalog.js";

/** One entry of `GET /api/tags`, in Ollama's fields. */
export type OllamaTag = {
  readonly name: string;
  readonly model: string;
  /** rbee does not know when a model file changed: always the epoch (like `created: 0` on /v1/models). */
  readonly modified_at: string;
  /** Bytes of the model file when the catalog knows them, else 0. */
  readonly size: number;
  /** The file's sha256 when the catalog knows it, else the sha256 of the name: stable per model. */
  readonly digest: string;
  readonly details: {
    readonly parent_model: string;
    readonly format: "gguf";
    readonly family: string;
    readonly families: null;
    readonly parameter_size: string;
    readonly quantization_level: string;
  };
};

const EPOCH = new Date(0).toISOString();

/** The quantization a GGUF file name states (`…Q4_K_M.gguf` → `Q4_K_M`), or "". */
export function quantizationOf(ref: string): string {
  const match = /(?:^|[-_.])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|F16|F32)\.gguf$/i.exec(ref);
  return match?.[1]?.toUpperCase() ?? "";
}

function tag(name: string, alias: ModelAlias | undefined): OllamaTag {
  const ref = alias?.model_ref ?? name;
  return {
    name,
    model: name,
    modified_at: EPOCH,
    size: alias?.size_bytes ?? alias?.approx_size_bytes ?? 0,
    digest: alias?.sha256 ?? createHash("sha256").update(name).digest("hex"),
    details: { parent_model: "", format: "gguf", family: "", families: null, parameter_size: "", quantization_level: quantizationOf(ref) },
  };
}

/**
 * The models the fleet has, as Ollama lists them (a pure function of the catalog, the live workers
 * and the model files nodes hold): first the models live workers serve (answered without a cold
 * start), then the files nodes hold that no alias names, then the catalog aliases not among them;
 * each name once.
 */
export function listTags(aliases: readonly ModelAlias[], workers: readonly RegisteredWorker[], stored: readonly string[] = []): { readonly models: readonly OllamaTag[] } {
  const live = [...new Set(workers.map((worker) => worker.model_ref))].sort();
  const aliasOf = (name: string): ModelAlias | undefined => aliases.find((alias) => alias.alias === name);
  const aliased = new Set(aliases.flatMap((alias) => [alias.alias, alias.model_ref]));
  const held = [...new Set(stored)].filter((name) => !live.includes(name) && !aliased.has(name)).sort();
  return {
    models: [
      ...live.map((name) => tag(name, aliasOf(name))),
      ...held.map((name) => tag(name, undefined)),
      ...aliases.filter((alias) => !live.includes(alias.alias)).map((alias) => tag(alias.alias, alias)),
    ],
  };
}
