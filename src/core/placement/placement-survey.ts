import {
  RbeeError,
  type Backend,
  type Beehive,
  type HiveDevices,
  type ModelFootprint,
  type NodeModels,
  type PlacementNode,
  type PlacementPreviewResponse,
} from "../../shared/contract/index.js";
import type { CatalogModel } from "../../shared/contract/model-catalog.js";
import type { DeviceFigures } from "../metrics/device-figures.js";
import { modelKey } from "../models/model-key.js";
import type { HiveHandle } from "../remote/hive-control.js";
import { hiveFootprint, type FootprintAnswer } from "./hive-footprint.js";
import { defaultCtx, needBytes, nodeMemory, planPlacement, type NodeMemory, type PlanOutcome } from "./plan.js";

/** How long the preview waits for the nodes: a slower one is listed with a note (as /v2/models/list does). */
export const PREVIEW_DEADLINE_MS = 2_500;
/** Device figures younger than this are used as they are (the poller keeps them fresh while a UI watches). */
const FRESH_FIGURES_MS = 3_000;

/** What the survey reads: the nodes, their hives, devices and inventories, the catalog. */
export interface PlacementSurveyDeps {
  readonly nodes: () => readonly Beehive[];
  readonly node: (nodeName: string) => Beehive;
  /** The node's hive, started if need be. */
  readonly hive: (node: Beehive) => Promise<HiveHandle>;
  /** The node's hive if one is open now (nothing is started). */
  readonly openHive: (nodeName: string) => Promise<HiveHandle | undefined>;
  /** A node's devices from its hive (and recorded as its latest figures). */
  readonly devices: (nodeName: string) => Promise<HiveDevices>;
  /** The figures the queen already holds (used when a few seconds fresh). */
  readonly figures?: (() => DeviceFigures) | undefined;
  /** One node's model inventory (its error, not a throw, when it cannot be asked). */
  readonly inventory: (nodeName: string) => Promise<NodeModels>;
  /** The nodes the last known inventories say hold the model. */
  readonly holders: (modelRef: string) => ReadonlySet<string>;
  readonly catalog: () => readonly CatalogModel[];
}

/** What a placement is asked for. */
export interface PlacementAsk {
  readonly model: string;
  readonly ctx?: number | undefined;
  readonly slots?: number | undefined;
  readonly backend?: Backend | undefined;
  /** Only these nodes; default all. */
  readonly nodes?: readonly string[] | undefined;
  /** How long the nodes are waited for; default PREVIEW_DEADLINE_MS. */
  readonly deadlineMs?: number | undefined;
  /** Ask only nodes whose hive is open now (a request's cheap look); the rest are left out with a note. */
  readonly openOnly?: boolean | undefined;
}

/** A placement with what it was decided from: the preview's answer and the plan behind it. */
export interface Survey {
  readonly preview: PlacementPreviewResponse;
  readonly plan: PlanOutcome;
}

/** What one node told the survey. */
interface NodeReport {
  readonly node: Beehive;
  readonly devices?: HiveDevices;
  readonly note?: string;
  readonly inventory?: NodeModels;
  readonly footprint?: FootprintAnswer;
}

/**
 * Asks the nodes what a model would take: each node's free memory and engines (its hive's devices),
 * whether it has the file (inventory, or its hive reading the file's header), and the model's
 * footprint, all in parallel within one deadline; then plans with the pure `planPlacement`.
 */
export class PlacementSurvey {
  constructor(private readonly deps: PlacementSurveyDeps) {}

  /** The placement the queen would choose for `ask`, and why. INVALID_REQUEST (field `model`) for a bad reference. */
  async survey(ask: PlacementAsk): Promise<Survey> {
    const { ref, key, catalogEntry } = this.resolve(ask.model);
    const nodes = ask.nodes === undefined ? [...this.deps.nodes()] : ask.nodes.map((name) => this.deps.node(name));
    const deadlineMs = ask.deadlineMs ?? PREVIEW_DEADLINE_MS;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), deadlineMs);
    // Asked about some nodes only, the others may still hold the file: their hives read its size.
    const others = ask.nodes === undefined ? [] : this.deps.nodes().filter((node) => !ask.nodes!.includes(node.node_name));
    let reports: NodeReport[];
    let elsewhere: FootprintAnswer[];
    try {
      [reports, elsewhere] = await Promise.all([
        Promise.all(nodes.map((node) => this.ask(node, ref, abort.signal, deadlineMs, ask.openOnly ?? false))),
        Promise.all(others.map((node) => this.footprintFrom(node, ref, abort.signal, ask.openOnly ?? false))),
      ]);
    } finally {
      clearTimeout(timer);
    }

    const cached = this.deps.holders(ref);
    const holds = (report: NodeReport): boolean =>
      report.footprint?.kind === "footprint" ||
      (report.inventory?.models.some((model) => model.model_ref === key) ?? false) ||
      (report.footprint?.kind !== "absent" && cached.has(report.node.node_name));
    const footprint = this.footprintOf([...reports, ...elsewhere.map((answer) => ({ footprint: answer }))], key, catalogEntry);
    const ctx = ask.ctx ?? defaultCtx(footprint);
    const slots = ask.slots ?? 1;
    const need = footprint ? needBytes(footprint, ctx, slots) : null;
    const memories: NodeMemory[] = reports.map((report) =>
      report.devices
        ? nodeMemory(report.node.node_name, report.devices, holds(report), ask.backend)
        : { node_name: report.node.node_name, free_bytes: null, backend: null, device: 0, has_model: holds(report), engines: [], note: report.note ?? "not asked" },
    );
    const anyHolder = memories.some((memory) => memory.has_model);
    const plan = planPlacement({ need_bytes: need, nodes: memories, fetchable: !key.startsWith("file:") || anyHolder });
    const listed: PlacementNode[] = memories.map((memory) => ({
      node_name: memory.node_name,
      free_bytes: memory.free_bytes,
      backend: memory.backend,
      has_model: memory.has_model,
      engines: [...memory.engines],
      ...(memory.note !== undefined ? { note: memory.note } : {}),
    }));
    return {
      plan,
      preview: {
        model_ref: ask.model,
        ...(footprint ? { footprint } : {}),
        need_bytes: need,
        ctx,
        slots,
        placement: plan.placement,
        reason: plan.reason,
        nodes: listed,
      },
    };
  }

  /** The reference to ask the hives about: a catalog alias resolved; INVALID_REQUEST (field `model`) when it does not parse. */
  private resolve(model: string): { ref: string; key: string; catalogEntry: CatalogModel | undefined } {
    const catalog = this.deps.catalog();
    const byAlias = catalog.find((entry) => entry.alias === model);
    const ref = byAlias?.model_ref ?? model;
    let key: string;
    try {
      key = modelKey(ref);
    } catch (error) {
      const why = error instanceof RbeeError ? error.message : String(error);
      throw new RbeeError("INVALID_REQUEST", why, [{ field: "model", message: error instanceof RbeeError ? (error.details?.[0]?.message ?? why) : why }]);
    }
    const catalogEntry = byAlias ?? catalog.find((entry) => entry.model_ref === ref || safeKey(entry.model_ref) === key);
    return { ref, key, catalogEntry };
  }

  /** One node's devices, inventory and the model's footprint there, or why it is left out. */
  private async ask(node: Beehive, ref: string, signal: AbortSignal, deadlineMs: number, openOnly: boolean): Promise<NodeReport> {
    if (node.status === "unreachable") return { node, note: "unreachable" };
    if (node.status === "installing") return { node, note: "still installing" };
    const gather = async (): Promise<NodeReport> => {
      const hive = openOnly ? await this.deps.openHive(node.node_name) : await this.deps.hive(node);
      if (!hive) return { node, note: "its hive is not open" };
      const [devices, inventory, footprint] = await Promise.all([
        this.devicesOf(node.node_name),
        this.deps.inventory(node.node_name).catch(() => undefined),
        hiveFootprint(hive.client, ref, signal),
      ]);
      return { node, devices, ...(inventory && !inventory.error ? { inventory } : {}), footprint };
    };
    return beforeDeadline(
      gather().catch((error: unknown) => ({ node, note: leftOutNote(error) })),
      signal,
      () => ({ node, note: `did not answer within ${(deadlineMs / 1000).toFixed(1)} s` }),
    );
  }

  /** What one node's hive says of the model's footprint, "unknown" when it cannot be asked in time. */
  private async footprintFrom(node: Beehive, ref: string, signal: AbortSignal, openOnly: boolean): Promise<FootprintAnswer> {
    if (node.status === "unreachable" || node.status === "installing") return { kind: "unknown", why: node.status };
    const unknown = (why: string): FootprintAnswer => ({ kind: "unknown", why });
    const gather = async (): Promise<FootprintAnswer> => {
      const hive = openOnly ? await this.deps.openHive(node.node_name) : await this.deps.hive(node);
      return hive ? hiveFootprint(hive.client, ref, signal) : unknown("its hive is not open");
    };
    return beforeDeadline(gather().catch((error: unknown) => unknown(leftOutNote(error))), signal, () => unknown("no answer in time"));
  }

  private async devicesOf(nodeName: string): Promise<HiveDevices> {
    const figures = this.deps.figures?.();
    if (figures && figures.ageMs(nodeName) <= FRESH_FIGURES_MS) {
      const last = figures.list().find((entry) => entry.node_name === nodeName);
      if (last) return last.devices;
    }
    return this.deps.devices(nodeName);
  }

  /** The header's figures from a node that has the file; else the file's size; else the catalog's size; else none. */
  private footprintOf(reports: readonly Pick<NodeReport, "footprint" | "inventory">[], key: string, entry: CatalogModel | undefined): ModelFootprint | undefined {
    for (const report of reports) if (report.footprint?.kind === "footprint") return report.footprint.footprint;
    const sizeOnly = (bytes: number): ModelFootprint => ({ model_ref: key, weights_bytes: bytes, layers: 0, context_length: 0, kv_bytes_per_token: 0 });
    for (const report of reports) {
      const file = report.inventory?.models.find((model) => model.model_ref === key);
      if (file) return sizeOnly(file.bytes);
    }
    const size = entry?.size_bytes ?? entry?.approx_size_bytes;
    return size === undefined ? undefined : sizeOnly(size);
  }
}

/** `work`'s answer, or `expired()`'s once `signal` aborts first (the survey's deadline). */
function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal, expired: () => T): Promise<T> {
  const late = new Promise<T>((resolve) => {
    if (signal.aborted) resolve(expired());
    signal.addEventListener("abort", () => resolve(expired()), { once: true });
  });
  return Promise.race([work, late]);
}

function safeKey(ref: string): string | undefined {
  try {
    return modelKey(ref);
  } catch {
    return undefined;
  }
}

/** Why a node that could not be asked is left out, in words. */
function leftOutNote(error: unknown): string {
  if (error instanceof RbeeError && error.code === "NOT_INSTALLED") return "rbee is not installed there";
  return `could not be asked (${error instanceof Error ? error.message : String(error)})`;
}
