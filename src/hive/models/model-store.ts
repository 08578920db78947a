import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type HiveDownload, type LocalModel, RbeeError } from "../../shared/contract/index.js";
import { type DownloadProgress, type DownloadRequest, downloadFile } from "./download.js";
import { LocalModels } from "./local-models.js";
import { isInside } from "./model-paths.js";
import { type ModelSource, type RemoteModelSource, modelSource } from "./model-source.js";

/** A model file ready on this node. */
export interface ProvisionedModel {
  /** The reference as requested (an alias stays an alias). */
  readonly model_ref: string;
  readonly path: string;
  readonly size_bytes: number;
  readonly sha256: string | null;
  /** True when this call had to wait for a download (its own or a shared one). */
  readonly downloaded: boolean;
}

/** Receives download progress; a model already present reports nothing. */
export type ProgressListener = (progress: DownloadProgress) => void;

/** Tuning of downloads (tests shorten them, or stand a test double in for the network). */
export type DownloadTuning = Pick<DownloadRequest, "retries" | "idleTimeoutMs" | "freeBytes" | "fetch">;

interface InFlight {
  readonly promise: Promise<LocalModel>;
  readonly listeners: Set<ProgressListener>;
  /** Cancels the download (`POST /v1/models/cancel`): the partial file stays. */
  readonly abort: AbortController;
  last: DownloadProgress | undefined;
}

/** Where a model_ref of the models routes lives on this node. */
export interface ModelLocation {
  /** What the catalog keys it by (`hf:…`, the URL, or `file:` and the absolute path). */
  readonly key: string;
  readonly path: string;
}

/**
 * Provides model files: resolves a model_ref, downloads it into `RBEE_HOME/models` when needed
 * (one download per model however many callers wait for it) and keeps the local catalog.
 */
export class ModelStore {
  private readonly local: LocalModels;
  private readonly inFlight = new Map<string, InFlight>();
  /** Catalog keys of the copies arriving now (see model-receive.ts). */
  readonly receiving = new Set<string>();

  /** `nodeName`: the name the queen knows this node by (undefined when the hive runs without one), named in errors. */
  constructor(
    private readonly modelsDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly tuning: DownloadTuning = {},
    private readonly nodeName: () => string | undefined = () => undefined,
  ) {
    this.local = new LocalModels(modelsDir);
  }

  /** Parses a reference (INVALID_REQUEST / MODEL_NOT_FOUND when it cannot be served). */
  parse(modelRef: string): ModelSource {
    return modelSource(modelRef, this.env);
  }

  /** The downloaded models present on disk. */
  list(): LocalModel[] {
    return this.local.list();
  }

  /** The models folder. */
  get dir(): string {
    return this.modelsDir;
  }

  /** The catalog (inventory, removal and receive keep it). */
  get catalog(): LocalModels {
    return this.local;
  }

  /** The name the queen knows this node by, for messages ("this node" without one). */
  nodeLabel(): string {
    const node = this.nodeName();
    return node ? `node ${node}` : "this node";
  }

  /**
   * Where a model_ref of the models routes (inventory, remove, cancel, copy) is on this node: an
   * hf: or https:// model where downloads put it, a file: model only inside the models folder
   * (INVALID_REQUEST for any other path: these routes never touch a file outside it).
   */
  locate(modelRef: string): ModelLocation {
    if (/(^|[/:])\.\.([/]|$)/.test(modelRef) || /%2e%2e/i.test(modelRef)) {
      throw new RbeeError("INVALID_REQUEST", `Invalid model_ref '${modelRef}': '..' is not allowed in a model reference`, [{ field: "model_ref", message: "no '..' segments" }]);
    }
    const source = this.parse(modelRef);
    if (source.kind === "remote") return { key: source.canonical, path: join(this.modelsDir, ...source.storePath.split("/")) };
    if (!isInside(this.modelsDir, source.path)) {
      throw new RbeeError("INVALID_REQUEST", `Invalid model_ref '${modelRef}': a file: model here must be inside ${this.nodeLabel()}'s models folder (${this.modelsDir})`, [
        { field: "model_ref", message: "outside the models folder" },
      ]);
    }
    const path = resolve(source.path);
    return { key: `file:${path}`, path };
  }

  /** The downloads running now. */
  downloads(): HiveDownload[] {
    return [...this.inFlight.entries()].map(([ref, flight]) => ({ model_ref: ref, bytes: flight.last?.bytes ?? 0, ...(flight.last?.bytes_total !== undefined ? { bytes_total: flight.last.bytes_total } : {}) }));
  }

  /** True when a download of this model runs (a removal then waits). */
  isDownloading(key: string): boolean {
    return this.inFlight.has(key);
  }

  /** Stops the running download of `modelRef`; false when none runs. The partial file stays. */
  cancel(modelRef: string): boolean {
    const flight = this.inFlight.get(this.locate(modelRef).key);
    flight?.abort.abort();
    return flight !== undefined;
  }

  /** Makes the model available on this node and answers where it is. */
  async provision(modelRef: string, onProgress?: ProgressListener): Promise<ProvisionedModel> {
    const source = this.parse(modelRef);
    if (source.kind === "local") {
      const stats = await stat(source.path).catch(() => undefined);
      if (!stats) {
        // The queen relays this as is: it must say which of the user's machines lacks the file.
        const node = this.nodeName();
        throw new RbeeError(
          "MODEL_NOT_FOUND",
          `Model file ${source.path} not found on ${node ? `node ${node}` : "this node"}: check the path, or download the model there first (an hf: or https:// model_ref is downloaded for you)`,
        );
      }
      if (!stats.isFile()) throw new RbeeError("INVALID_REQUEST", `${source.path} is not a file`);
      return { model_ref: modelRef, path: source.path, size_bytes: stats.size, sha256: null, downloaded: false };
    }
    const present = this.local.find(source.canonical);
    if (present && (source.sha256 === undefined || present.sha256 === source.sha256)) {
      return { model_ref: modelRef, path: present.path, size_bytes: present.size_bytes, sha256: present.sha256, downloaded: false };
    }
    const model = await this.join(source, onProgress);
    return { model_ref: modelRef, path: model.path, size_bytes: model.size_bytes, sha256: model.sha256, downloaded: true };
  }

  private async join(source: RemoteModelSource, onProgress: ProgressListener | undefined): Promise<LocalModel> {
    let flight = this.inFlight.get(source.canonical);
    if (!flight) {
      const listeners = new Set<ProgressListener>();
      const abort = new AbortController();
      const started: InFlight = { listeners, abort, last: undefined, promise: this.download(source, listeners, () => started, abort.signal) };
      flight = started;
      this.inFlight.set(source.canonical, flight);
      const forget = (): void => {
        this.inFlight.delete(source.canonical);
      };
      flight.promise.then(forget, forget);
    }
    if (onProgress) {
      flight.listeners.add(onProgress);
      // Every waiter hears at once that a download runs, a late one where it stands.
      onProgress(flight.last ?? { bytes: 0 });
    }
    try {
      return await flight.promise;
    } finally {
      if (onProgress) flight.listeners.delete(onProgress);
    }
  }

  private async download(source: RemoteModelSource, listeners: Set<ProgressListener>, self: () => InFlight, signal: AbortSignal): Promise<LocalModel> {
    const dest = join(this.modelsDir, ...source.storePath.split("/"));
    const result = await downloadFile({
      ...this.tuning,
      signal,
      url: source.url,
      dest,
      headers: source.headers,
      ...(source.sizeBytes !== undefined ? { sizeBytes: source.sizeBytes } : {}),
      ...(source.sha256 !== undefined ? { sha256: source.sha256 } : {}),
      onProgress: (progress) => {
        self().last = progress;
        for (const listener of [...listeners]) {
          try {
            listener(progress);
          } catch {
            // A listener (an SSE client that went away) never stops the download.
          }
        }
      },
    }).catch((error: unknown) => {
      // Disk space is the node's: say which of the user's machines is full.
      if (error instanceof RbeeError && error.code === "NO_CAPACITY") throw new RbeeError("NO_CAPACITY", `On ${this.nodeLabel()}: ${error.message}`);
      throw error;
    });
    const model: LocalModel = { model_ref: source.canonical, path: dest, size_bytes: result.size_bytes, sha256: result.sha256 };
    await this.local.add(model);
    return model;
  }
}
