import type { HiveDevices, WorkerStats } from "../../shared/contract/index.js";
import type { Disposable } from "../../shared/emitter.js";
import type { Fleet } from "../fleet.js";
import type { InferenceService } from "../inference/inference-service.js";
import { DevicePoller } from "../monitors/device-poller.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { WorkerRegistry } from "../registry/worker-registry.js";
import { DeviceFigures } from "./device-figures.js";
import { QueenMetrics } from "./queen-metrics.js";
import { WorkerStatsBook } from "./worker-stats.js";

export interface ObservabilityDeps {
  readonly beehives: BeehiveRegistry;
  readonly workers: WorkerRegistry;
  readonly inference: InferenceService;
  readonly fleet: Pick<Fleet, "devices" | "devicesIfRunning">;
  readonly devicePollMs?: number | undefined;
  readonly log?: ((message: string) => void) | undefined;
}

/** How old the GPU figures may be when `/metrics` is scraped before the hives are asked again. */
const SCRAPE_MAX_AGE_MS = 2_000;
/** How long a scrape waits for a slow hive before it answers with the last figures. */
const SCRAPE_WAIT_MS = 1_500;

/**
 * What the queen knows about how the fleet is doing: the Prometheus metrics, each worker's recent
 * jobs, and each node's last device figures (read from the hives while someone watches).
 */
export class Observability {
  readonly figures = new DeviceFigures();
  readonly stats = new WorkerStatsBook();
  readonly metrics: QueenMetrics;
  private readonly poller: DevicePoller;

  constructor(private readonly deps: ObservabilityDeps) {
    this.metrics = new QueenMetrics({
      nodes: () => deps.beehives.list(),
      workers: () => deps.workers.list(),
      waitingPerModel: () => deps.inference.waitingPerModel(),
      devices: () => this.figures.list(),
    });
    this.poller = new DevicePoller({
      nodes: () => deps.beehives.list(),
      read: (nodeName) => deps.fleet.devicesIfRunning(nodeName),
      figures: this.figures,
      intervalMs: deps.devicePollMs,
      log: deps.log,
    });
    deps.inference.onJobEnd((outcome) => {
      this.metrics.record(outcome);
      this.stats.record(outcome);
    });
  }

  /** A node's devices from its hive (started if needed), kept as its latest figures. */
  async nodeDevices(nodeName: string): Promise<HiveDevices> {
    const devices = await this.deps.fleet.devices(nodeName);
    this.figures.record(nodeName, devices);
    return devices;
  }

  /** The request figures of the live workers that have any, now. */
  workerStats(): WorkerStats[] {
    return this.stats.snapshot(this.deps.workers.list(), this.deps.inference.runningPerWorker(), this.deps.inference.waitingPerModel());
  }

  /**
   * Fires when the worker stats may have changed: a job ended or the line moved. Not on every
   * worker change (slots, heartbeats): a worker that came has no figures yet, one that went is not shown.
   */
  onStatsChange(listener: () => void): Disposable {
    const disposables = [this.deps.inference.onJobEnd(listener), this.deps.inference.onLineChange(listener)];
    return () => {
      for (const dispose of disposables) dispose();
    };
  }

  /** Keeps the device figures live while the returned disposable has not been called (a UI watching). */
  watchDevices(): Disposable {
    return this.poller.watch();
  }

  /** The exposition of `GET /metrics`, with device figures at most a few seconds old. */
  async scrape(): Promise<{ readonly contentType: string; readonly text: string }> {
    await this.poller.freshen(SCRAPE_MAX_AGE_MS, SCRAPE_WAIT_MS);
    return this.metrics.exposition();
  }

  stop(): void {
    this.poller.stop();
  }
}
