import { posix } from "node:path";
import {
  type Beehive,
  type HiveInventory,
  type ListModelsResponse,
  type NodeModel,
  type NodeModels,
  RbeeError,
} from "../../shared/contract/index.js";
import type { ProgressSink } from "../fleet/progress-sink.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { HiveControl, HiveHandle } from "../remote/hive-control.js";
import { copyModelFile, type CopyEnd, type CopyOptions } from "./model-copy.js";
import { ModelJobs, type JobProgress, type ModelJob } from "./model-jobs.js";
import { managedModelKey, modelKeyOrUndefined } from "./model-key.js";
import type { ModelTransfers } from "./model-transfers.js";

function isInsidePosix(dir: string, path: string): boolean {
  const rel = posix.relative(posix.resolve(dir), posix.resolve(path));
  return rel !== "" && !rel.startsWith("..") && !posix.isAbsolute(rel);
}

/** One end of a copy: its hive, reached over one SSH channel per request (no local listener in between). */
function copyEnd(nodeName: string, hive: HiveHandle): CopyEnd {
  return { nodeName, client: hive.client, address: { ...hive.client.address(), connect: () => hive.connection.openStream(hive.port) } };
}

/** How long `GET /v2/models/list` waits for one node: a slower one is listed with `error`. */
export const LIST_DEADLINE_MS = 3_000;
/** How long placement waits for the nodes it asks where a model is. */
const PLACEMENT_DEADLINE_MS = 1_000;

export interface FleetModelsDeps {
  readonly beehives: BeehiveRegistry;
  readonly hives: HiveControl;
  readonly transfers: ModelTransfers;
  /** Dials a node now for the user (skipping the backoff of a failed background attempt). */
  readonly connect: (nodeName: string) => Promise<unknown>;
  readonly log: (message: string) => void;
  readonly copy?: CopyOptions | undefined;
}

function deadline(ms: number, what: string): { readonly signal: AbortSignal; readonly expired: Promise<never>; clear(): void } {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new RbeeError("SSH_FAILED", `${what} did not answer within ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  expired.catch(() => undefined);
  return { signal: abort.signal, expired, clear: () => clearTimeout(timer) };
}

/**
 * The models of the whole fleet: each node's inventory (asked in parallel, never waited for
 * long, cached for placement), and the downloads, copies and removals the user starts.
 */
export class FleetModels {
  private readonly cache = new Map<string, HiveInventory>();
  readonly jobs: ModelJobs;

  constructor(private readonly deps: FleetModelsDeps) {
    this.jobs = new ModelJobs(deps.transfers);
  }

  /** Every node's models (or only `nodeName`'s), each asked at once with a short deadline. */
  async list(nodeName?: string): Promise<ListModelsResponse> {
    const nodes = nodeName === undefined ? this.deps.beehives.list() : [this.deps.beehives.require(nodeName)];
    return { nodes: await Promise.all(nodes.map((node) => this.ask(node, LIST_DEADLINE_MS))) };
  }

  /** The nodes whose last known inventory holds the model (by its catalog key). */
  holders(modelRef: string): ReadonlySet<string> {
    const key = modelKeyOrUndefined(modelRef);
    const found = new Set<string>();
    if (key === undefined) return found;
    for (const [node, inventory] of this.cache) if (inventory.models.some((model) => model.model_ref === key)) found.add(node);
    return found;
  }

  /** Every model file of the last known inventories, by node (what the client APIs' model lists name). */
  stored(): { node_name: string; model_ref: string }[] {
    return [...this.cache].flatMap(([node_name, inventory]) => inventory.models.map((model) => ({ node_name, model_ref: model.model_ref })));
  }

  /** Refreshes the inventories of the nodes whose hive is already open (placement's cheap look). */
  async refreshOpen(): Promise<void> {
    const open = await Promise.all(this.deps.beehives.list().map(async (node) => ((await this.deps.hives.current(node.node_name)) ? node : undefined)));
    await Promise.all(open.filter((node): node is Beehive => node !== undefined).map((node) => this.ask(node, PLACEMENT_DEADLINE_MS)));
  }

  /** Starts (or joins) a download of `modelRef` on the node; it runs until done or cancelled. */
  download(nodeName: string, modelRef: string): ModelJob {
    const node = this.deps.beehives.require(nodeName);
    const key = managedModelKey(modelRef);
    if (key.startsWith("file:")) {
      throw new RbeeError("INVALID_REQUEST", `Invalid model_ref '${modelRef}': a file: model is already on its node, there is nothing to download (copy it to another node instead)`, [
        { field: "model_ref", message: "file: models are not downloaded" },
      ]);
    }
    return this.jobs.start({ kind: "download", nodeName, modelKey: key, modelRef }, async (report, signal) => {
      const hive = await this.hiveForUser(node);
      for await (const event of hive.client.download(modelRef, signal)) {
        if (event.type === "error") throw new RbeeError(event.code, event.message);
        if (event.type === "progress") report({ ...event, stage: "download", message: `Downloading ${modelRef} to ${nodeName}` });
      }
      return this.modelOn(node, key, modelRef);
    });
  }

  /** Starts (or joins) a copy of `modelRef` from one node to another through this queen. */
  copy(modelRef: string, fromNode: string, toNode: string): ModelJob {
    const from = this.deps.beehives.require(fromNode);
    const to = this.deps.beehives.require(toNode);
    const key = managedModelKey(modelRef);
    return this.jobs.start({ kind: "copy", nodeName: toNode, fromNode, modelKey: key, modelRef }, async (report, signal) => {
      const [source, target] = await Promise.all([this.hiveForUser(from), this.hiveForUser(to)]);
      const inventory = await this.inventoryOf(from, source);
      if (key.startsWith("file:") && !isInsidePosix(inventory.models_dir, key.slice("file:".length))) {
        throw new RbeeError("INVALID_REQUEST", `Invalid model_ref '${modelRef}': only files inside ${fromNode}'s models folder (${inventory.models_dir}) can be copied`, [
          { field: "model_ref", message: "outside the models folder" },
        ]);
      }
      const file = inventory.models.find((model) => model.model_ref === key);
      if (!file) {
        throw new RbeeError("MODEL_NOT_FOUND", `${modelRef} is not on ${fromNode}: list the fleet's models (GET /v2/models/list) to see which nodes have it`);
      }
      const outcome = await copyModelFile(
        copyEnd(fromNode, source),
        copyEnd(toNode, target),
        file,
        (bytes, bytesTotal, message) => report({ stage: "copy", message: message ?? `Copying ${modelRef} from ${fromNode} to ${toNode}`, bytes, bytes_total: bytesTotal }),
        signal,
        this.deps.copy,
      );
      if (outcome === "present") report({ stage: "copy", message: `${modelRef} is already on ${toNode}`, bytes: file.bytes, bytes_total: file.bytes });
      const copied = await this.modelOn(to, outcome === "present" ? key : outcome.model_ref, modelRef);
      if (copied.sha256 !== file.sha256) throw new RbeeError("COPY_FAILED", `${modelRef} on ${toNode} has sha256 ${copied.sha256 ?? "unknown"}, not ${file.sha256}`);
      return copied;
    });
  }

  /** Stops a running download or copy to the node; true when one ran. The partial file stays. */
  async cancel(nodeName: string, modelRef: string): Promise<boolean> {
    const node = this.deps.beehives.require(nodeName);
    const key = managedModelKey(modelRef);
    const job = this.jobs.find(nodeName, key);
    let cancelled = false;
    if (job?.spec.kind !== "copy") {
      // Also a download a spawn started: the hive owns it.
      const hive = await this.hiveForUser(node);
      cancelled = await hive.client.cancelDownload(modelRef);
    }
    if (job) {
      job.abort.abort();
      cancelled = true;
    }
    return cancelled;
  }

  /** Deletes a model from a node (MODEL_IN_USE while a worker has it loaded). */
  async remove(nodeName: string, modelRef: string): Promise<void> {
    const node = this.deps.beehives.require(nodeName);
    managedModelKey(modelRef);
    const hive = await this.hiveForUser(node);
    try {
      await hive.client.removeModel(modelRef);
    } finally {
      await this.inventoryOf(node, hive).catch(() => undefined);
    }
  }

  /**
   * Before a spawn on `nodeName`: when the node lacks the model and another node has it, copies it
   * from there (stage `copy`) instead of letting the hive download it; a failed copy falls back to
   * the download, and says so. `file:` models are the node's own and never copied.
   */
  async bringTo(nodeName: string, modelRef: string, progress: ProgressSink, signal: AbortSignal): Promise<void> {
    const key = modelKeyOrUndefined(modelRef);
    if (key === undefined || key.startsWith("file:")) return;
    const node = this.deps.beehives.require(nodeName);
    const target = await this.ask(node, LIST_DEADLINE_MS);
    if (target.error || target.models.some((model) => model.model_ref === key)) return;
    if (this.holders(modelRef).size === 0) await this.refreshOpen();
    const from = [...this.holders(modelRef)].filter((name) => name !== nodeName).sort()[0];
    if (from === undefined) return;
    const job = this.copy(modelRef, from, nodeName);
    try {
      const relay = (event: JobProgress): void => progress(event);
      const copied = await this.jobs.follow(job, relay, signal);
      if (copied === undefined) throw new RbeeError("COPY_FAILED", "cancelled");
    } catch (error) {
      if (signal.aborted) throw error;
      const why = error instanceof Error ? error.message : String(error);
      progress({ stage: "download", message: `Copying ${modelRef} from ${from} failed (${why}); downloading it instead` });
      this.deps.log(`copy of ${modelRef} from ${from} to ${nodeName} failed, downloading instead: ${why}`);
    }
  }

  private hive(node: Beehive): Promise<HiveHandle> {
    return this.deps.hives.ensure(node);
  }

  /** The node's hive for something the user asked (download, copy, remove, cancel): dialled now if need be. */
  private async hiveForUser(node: Beehive): Promise<HiveHandle> {
    await this.deps.connect(node.node_name);
    return this.deps.hives.ensure(node);
  }

  private async inventoryOf(node: Beehive, hive: HiveHandle, signal?: AbortSignal): Promise<HiveInventory> {
    const inventory = await hive.client.inventory(signal);
    this.cache.set(node.node_name, inventory);
    return inventory;
  }

  /** One node's models within `ms`; its failure (or silence) is its entry's `error`. */
  private async ask(node: Beehive, ms: number): Promise<NodeModels> {
    const limit = deadline(ms, `${node.node_name}`);
    try {
      const inventory = await Promise.race([this.hive(node).then((hive) => this.inventoryOf(node, hive, limit.signal)), limit.expired]);
      return { node_name: node.node_name, disk_free_bytes: inventory.disk_free_bytes, models: inventory.models };
    } catch (error) {
      const failure = error instanceof RbeeError ? error : new RbeeError("INTERNAL", String(error));
      return { node_name: node.node_name, models: [], error: { code: failure.code, message: failure.message } };
    } finally {
      limit.clear();
    }
  }

  /** The model as the node lists it now (after a download or copy). */
  private async modelOn(node: Beehive, key: string, modelRef: string): Promise<NodeModel> {
    const inventory = await this.inventoryOf(node, await this.hive(node));
    const model = inventory.models.find((entry) => entry.model_ref === key);
    if (!model) throw new RbeeError("MODEL_NOT_FOUND", `${modelRef} is not listed on ${node.node_name} after it arrived`);
    return model;
  }
}
