/** One entry of the built-in model catalog: a short name for a model on the hub. */
export interface ModelAlias {
  readonly alias: string;
  readonly model_ref: string;
  readonly description: string;
  /** Known size and digest; when absent they are taken from the hub's answer (X-Linked-Size/-Etag). */
  readonly size_bytes?: number;
  readonly sha256?: string;
}

/** The built-in catalog: aliases a user can type instead of a full `hf:` reference. */
export const MODEL_ALIASES: readonly ModelAlias[] = [
  {
    alias: "tinyllama",
    model_ref: "hf:TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf",
    description: "TinyLlama 1.1B Chat v1.0, Q4_K_M (~670 MB)",
  },
  {
    alias: "qwen2.5-0.5b",
    model_ref: "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf",
    description: "Qwen2.5 0.5B Instruct, Q4_K_M (~490 MB)",
  },
  {
    alias: "llama3.2-1b",
    model_ref: "hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
    description: "Llama 3.2 1B Instruct, Q4_K_M (~810 MB)",
  },
];

/** The catalog entry for `alias`, if any. */
export function findAlias(alias: string): ModelAlias | undefined {
  return MODEL_ALIASES.find((entry) => entry.alias === alias);
}
