import { z } from "zod";
import { ModelRef } from "./workers.js";

/** One entry of the built-in model catalog: a short name for a model on the hub. */
export interface ModelAlias {
  readonly alias: string;
  readonly model_ref: string;
  readonly description: string;
  /** Known size and digest; when absent they are taken from the hub's answer (X-Linked-Size/-Etag). */
  readonly size_bytes?: number;
  readonly sha256?: string;
  /** A rough size, for display only: never checked against the download. */
  readonly approx_size_bytes?: number;
}

/** The built-in catalog: aliases a user can type instead of a full `hf:` reference. */
export const MODEL_ALIASES: readonly ModelAlias[] = [
  {
    alias: "tinyllama",
    model_ref: "hf:TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf",
    description: "TinyLlama 1.1B Chat v1.0, Q4_K_M",
    approx_size_bytes: 670_000_000,
  },
  {
    alias: "qwen2.5-0.5b",
    model_ref: "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf",
    description: "Qwen2.5 0.5B Instruct, Q4_K_M",
    approx_size_bytes: 490_000_000,
  },
  {
    alias: "llama3.2-1b",
    model_ref: "hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
    description: "Llama 3.2 1B Instruct, Q4_K_M",
    approx_size_bytes: 810_000_000,
  },
];

/** The catalog entry for `alias`, if any. */
export function findAlias(alias: string): ModelAlias | undefined {
  return MODEL_ALIASES.find((entry) => entry.alias === alias);
}

const ByteCount = z.number().int("must be a whole number of bytes").positive("must be more than 0").max(Number.MAX_SAFE_INTEGER);

const CATALOG_MODEL_SHAPE = {
  /** The name the UI shows. */
  alias: z
    .string()
    .max(64)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "use lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"),
  /** What the UI asks for when the model is picked: `hf:…`, `https://…/x.gguf`, `file:/abs.gguf` or a built-in alias. */
  model_ref: ModelRef,
  description: z.string().min(1, "required").max(300),
  /** The file's exact size, when known. */
  size_bytes: ByteCount.optional(),
  /** A rough size, when the exact one is not known. */
  approx_size_bytes: ByteCount.optional(),
};

/** One model the catalog offers: a name, what to ask for, and how big it is (exact or rough) when known. */
export const CatalogModel = z.object(CATALOG_MODEL_SHAPE);
export type CatalogModel = z.infer<typeof CatalogModel>;

/** An entry of an `RBEE_MODEL_CATALOG` file: the same fields, and no others (a misspelt one is an error). */
export const CatalogFileModel = z.strictObject(CATALOG_MODEL_SHAPE);

/** `GET /v2/models/catalog`: the models the UI offers to start with. */
export const ModelCatalogResponse = z.object({ models: z.array(CatalogModel) });
export type ModelCatalogResponse = z.infer<typeof ModelCatalogResponse>;

/** The built-in catalog as the queen serves it. */
export function builtInCatalog(): CatalogModel[] {
  return MODEL_ALIASES.map((entry) => ({
    alias: entry.alias,
    model_ref: entry.model_ref,
    description: entry.description,
    ...(entry.size_bytes !== undefined ? { size_bytes: entry.size_bytes } : {}),
    ...(entry.approx_size_bytes !== undefined ? { approx_size_bytes: entry.approx_size_bytes } : {}),
  }));
}
