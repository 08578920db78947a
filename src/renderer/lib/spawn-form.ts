import type { Backend, Engine } from "../../shared/contract/workers.js";

/** What the user chose in the "Spawn worker" form; device, slots, threads and context as typed. */
export interface SpawnFormValues {
  readonly node: string;
  readonly model: string;
  readonly backend: Backend;
  readonly device: string;
  readonly slots: string;
  /** Empty: the worker picks (on cpu, the physical cores less one). */
  readonly threads: string;
  /** Context length in tokens per slot; empty: the worker's choice. */
  readonly ctx: string;
  readonly engine: Engine;
  /** Other nodes holding part of the model (llama.cpp RPC); any sets the engine to llama-server. */
  readonly shards: readonly string[];
}

/** The spawn the form asks for; one slot (the default) is left out. */
export interface SpawnFormRequest {
  readonly node_name: string;
  readonly model_ref: string;
  readonly backend: Backend;
  readonly device: number;
  readonly slots?: number;
  readonly threads?: number;
  readonly ctx?: number;
  /** Left out for node-llama-cpp, the default. */
  readonly engine?: Engine;
  readonly shards?: readonly string[];
}

const LIMIT = 64;

/** Checks the form before anything is sent: the request, or the first thing to fix in a sentence. */
export function validateSpawnForm(
  values: SpawnFormValues,
  /** Why the engine or shards cannot run (engineProblem), known from the nodes' devices. */
  engineProblem: string | null = null,
): { readonly ok: true; readonly request: SpawnFormRequest } | { readonly ok: false; readonly message: string } {
  const device = Number(values.device);
  const slots = Number(values.slots);
  const model = values.model.trim();
  if (values.node === "") return { ok: false, message: "Choose a node." };
  if (model === "") return { ok: false, message: "Choose or type a model." };
  if (!/^\d+$/.test(values.device) || device > LIMIT) return { ok: false, message: "The device is a GPU index: 0, 1, …" };
  if (!/^\d+$/.test(values.slots) || slots < 1 || slots > LIMIT) return { ok: false, message: "Slots is a number from 1 to 64." };
  const threads = Number(values.threads);
  if (values.threads !== "" && (!/^\d+$/.test(values.threads) || threads < 1 || threads > 1024)) {
    return { ok: false, message: "Threads is a number from 1 to 1024, or empty to let the worker pick." };
  }
  const ctx = Number(values.ctx);
  if (values.ctx !== "" && (!/^\d+$/.test(values.ctx) || ctx < 16 || ctx > 1_048_576)) {
    return { ok: false, message: "Context is a number of tokens from 16 to 1,048,576, or empty to let the worker pick." };
  }
  if (engineProblem) return { ok: false, message: engineProblem };
  return {
    ok: true,
    request: {
      node_name: values.node,
      model_ref: model,
      backend: values.backend,
      device,
      ...(slots > 1 ? { slots } : {}),
      ...(values.threads !== "" ? { threads } : {}),
      ...(values.ctx !== "" ? { ctx } : {}),
      ...(values.engine !== "node-llama-cpp" ? { engine: values.engine } : {}),
      ...(values.shards.length > 0 ? { shards: values.shards } : {}),
    },
  };
}

const NUMBERS: readonly (keyof SpawnFormValues)[] = ["device", "slots", "threads", "ctx"];

/**
 * The form after one change. Device, slots, threads and context are numbers: spaces are dropped as
 * they are typed. A split runs on llama-server: picking a shard chooses it, choosing node-llama-cpp
 * drops the shards, and the node that runs the model is never one of its own shards.
 */
export function changeSpawnForm<K extends keyof SpawnFormValues>(values: SpawnFormValues, name: K, value: SpawnFormValues[K]): SpawnFormValues {
  const next = { ...values, [name]: typeof value === "string" && NUMBERS.includes(name) ? value.trim() : value };
  if (name === "shards" && next.shards.length > 0) return { ...next, engine: "llama-server" };
  if (name === "engine" && next.engine === "node-llama-cpp") return { ...next, shards: [] };
  if (name === "node") return { ...next, shards: next.shards.filter((shard) => shard !== next.node) };
  return next;
}

/** The form with `node` added to (or taken out of) the nodes it splits the model across. */
export function toggleShard(values: SpawnFormValues, node: string, on: boolean): SpawnFormValues {
  const shards = values.shards.filter((shard) => shard !== node);
  return changeSpawnForm(values, "shards", on ? [...shards, node] : shards);
}
