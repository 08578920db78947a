import { stat } from "node:fs/promises";
import { join } from "node:path";
import { type LocalModel, RbeeError } from "../../shared/contract/index.js";
import { type DownloadProgress, type DownloadRequest, downloadFile } from "./download.js";
import { LocalModels } from "./local-models.js";
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
  last: DownloadProgress | undefined;
}

/**
 * Provides model files: resolves a model_ref, downloads it into `RBEE_HOME/models` when needed
 * (one download per model however many callers wait for it) and keeps the local catalog.
 */
export class ModelStore {
  private readonly local: LocalModels;
  private readonly inFlight = new Map<string, InFlight>();

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
      const started: InFlight = { listeners, last: undefined, promise: this.download(source, listeners, () => started) };
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

  private async download(source: RemoteModelSource, listeners: Set<ProgressListener>, self: () => InFlight): Promise<LocalModel> {
    const dest = join(this.modelsDir, ...source.storePath.split("/"));
    const result = await downloadFile({
      ...this.tuning,
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
    });
    const model: LocalModel = { model_ref: source.canonical, path: dest, size_bytes: result.size_bytes, sha256: result.sha256 };
    await this.local.add(model);
    return model;
  }
}
