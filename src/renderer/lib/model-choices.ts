import type { HiveDevices } from "../../shared/contract/hive.js";
import type { CatalogModel } from "../../shared/contract/model-catalog.js";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { formatBytes } from "./format.js";
import { holdersOf, type ModelHolders } from "./model-holders.js";
import { modelFit, type FitVerdict } from "./model-fit.js";

/** One suggestion of a model picker. */
export interface ModelChoice {
  readonly value: string;
  /** What is said about it: where it is loaded, or the catalog's name and description. */
  readonly detail: string;
}

/**
 * What the model pickers suggest: models loaded on live workers first (answers start at once), then
 * the models whose file a node holds (no download), then the rest of the catalog (downloaded on first
 * use), each by the model_ref it is asked for with and, once the models are listed, the nodes that
 * hold its file ("on gpu, local").
 */
export function modelChoices(workers: readonly RegisteredWorker[], catalog: readonly CatalogModel[], holders: ModelHolders = new Map()): ModelChoice[] {
  const loaded = loadedNodes(workers);
  const where = (...refs: string[]): string => {
    const nodes = holdersOf(holders, ...refs);
    return nodes.length > 0 ? `on ${nodes.join(", ")}` : "";
  };
  const joined = (...parts: string[]): string => parts.filter((part) => part !== "").join(" · ");
  const live = [...loaded].map(([value, nodes]) => ({ value, detail: joined(`loaded on ${nodes.join(", ")}`, where(value)) }));
  const offered = catalog
    .filter((entry) => !loaded.has(entry.model_ref) && !loaded.has(entry.alias))
    .map((entry) => ({ value: entry.model_ref, held: where(entry.model_ref, entry.alias), about: `${entry.alias}: ${entry.description}` }));
  const inCatalog = new Set(catalog.flatMap((entry) => [entry.model_ref, entry.alias]));
  const heldOnly = [...holders.keys()]
    .filter((modelRef) => !loaded.has(modelRef) && !inCatalog.has(modelRef))
    .map((modelRef) => ({ value: modelRef, detail: where(modelRef) }));
  return [
    ...live,
    ...offered.filter((o) => o.held !== "").map((o) => ({ value: o.value, detail: joined(o.held, o.about) })),
    ...heldOnly,
    ...offered.filter((o) => o.held === "").map((o) => ({ value: o.value, detail: o.about })),
  ];
}

/** A model the chat's empty state offers to start with one click. */
export interface ModelOffer {
  /** What the chat asks for. */
  readonly model_ref: string;
  /** The catalog's alias, or the file name of a loaded model. */
  readonly name: string;
  readonly description: string;
  /** "2.1 MiB", "~639 MiB", or null when unknown. */
  readonly size: string | null;
  /** The nodes whose live workers have it (empty: it is started, and downloaded if need be, on first use). */
  readonly loadedOn: readonly string[];
  /** Whether it fits this computer; null when this computer is no node (nothing to compare with). */
  readonly fit: FitVerdict | null;
  /** The nodes whose disk holds its file (empty while unknown): starting it there needs no download. */
  readonly heldOn: readonly string[];
}

/**
 * The models to start with: those loaded on live workers first, then the rest of the catalog, each
 * with its size and (when this computer is a node) whether it fits this computer's memory.
 * `local` is this computer's node with its devices (null until known), or null when it is no node.
 */
export function modelOffers(
  catalog: readonly CatalogModel[],
  workers: readonly RegisteredWorker[],
  local: { readonly devices: HiveDevices | null } | null,
  holders: ModelHolders = new Map(),
): ModelOffer[] {
  const loaded = loadedNodes(workers);
  const inCatalog = new Set(catalog.flatMap((entry) => [entry.model_ref, entry.alias]));
  const fit = (bytes: number | undefined): FitVerdict | null => (local ? modelFit(bytes, local.devices) : null);
  const live: ModelOffer[] = [...loaded]
    .filter(([modelRef]) => !inCatalog.has(modelRef))
    .map(([modelRef, nodes]) => ({ model_ref: modelRef, name: shortModelName(modelRef), description: `Loaded on ${nodes.join(", ")}`, size: null, loadedOn: nodes, fit: null, heldOn: holdersOf(holders, modelRef) }));
  const offered = catalog.map((entry): ModelOffer => {
    const bytes = entry.size_bytes ?? entry.approx_size_bytes;
    const loadedOn = loaded.get(entry.model_ref) ?? loaded.get(entry.alias) ?? [];
    return {
      model_ref: entry.model_ref,
      name: entry.alias,
      description: entry.description,
      size: bytes === undefined ? null : `${entry.size_bytes === undefined ? "~" : ""}${formatBytes(bytes)}`,
      loadedOn,
      fit: loadedOn.length > 0 ? null : fit(bytes),
      heldOn: holdersOf(holders, entry.model_ref, entry.alias),
    };
  });
  // Loaded models answer at once: they come first.
  return [...live, ...offered.filter((offer) => offer.loadedOn.length > 0), ...offered.filter((offer) => offer.loadedOn.length === 0)];
}

/** A model reference as a short name: the file name of a path or URL, or the alias itself. */
export function shortModelName(modelRef: string): string {
  const slash = modelRef.lastIndexOf("/");
  return slash >= 0 ? modelRef.slice(slash + 1) : modelRef.replace(/^file:/, "");
}

/** Each model_ref the live workers hold, with their nodes in order. */
function loadedNodes(workers: readonly RegisteredWorker[]): Map<string, string[]> {
  const loaded = new Map<string, Set<string>>();
  for (const worker of workers) loaded.set(worker.model_ref, (loaded.get(worker.model_ref) ?? new Set<string>()).add(worker.node_name));
  return new Map([...loaded].map(([modelRef, nodes]) => [modelRef, [...nodes].sort()]));
}
