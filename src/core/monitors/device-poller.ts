import type { Beehive, HiveDevices } from "../../shared/contract/index.js";
import type { Disposable } from "../../shared/emitter.js";
import type { DeviceFigures } from "../metrics/device-figures.js";

/** How often the hives' devices are read while someone watches. */
export const DEVICE_POLL_MS = 3_000;
/** How old a scrape lets the devices of a node without GPUs get (nothing there changes but free RAM). */
const NO_GPU_MAX_AGE_MS = 60_000;

export interface DevicePollerDeps {
  readonly nodes: () => readonly Beehive[];
  /** A node's devices from its running hive; undefined when no hive is open there (none is started for this). */
  readonly read: (nodeName: string) => Promise<HiveDevices | undefined>;
  readonly figures: DeviceFigures;
  readonly intervalMs?: number | undefined;
  readonly log?: ((message: string) => void) | undefined;
}

/**
 * Reads each ready node's devices (live GPU figures) from its hive every few seconds, only while
 * someone watches (a subscriber of the event feed: a UI open); a `/metrics` scrape reads those
 * whose figures are older than a few seconds. One read per node at a time; a node that is not
 * ready has its figures dropped.
 */
export class DevicePoller {
  private watchers = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly reading = new Map<string, Promise<void>>();
  /** Nodes whose last read failed: told once, not every few seconds. */
  private readonly failing = new Set<string>();

  constructor(private readonly deps: DevicePollerDeps) {}

  /** Polls while the returned disposable has not been called. */
  watch(): Disposable {
    this.watchers += 1;
    this.ensureTimer();
    void this.tick();
    let disposed = false;
    return () => {
      if (disposed) return;
      disposed = true;
      this.watchers -= 1;
    };
  }

  /**
   * A scrape: reads now the nodes whose figures are older than `maxAgeMs`, waiting for them at most
   * `waitMs` (a slow node leaves its last figures in the answer).
   */
  async freshen(maxAgeMs: number, waitMs: number): Promise<void> {
    const ready = this.readyNodes();
    this.deps.figures.retain(new Set(ready));
    // A node without a GPU has no live figure to refresh: its devices are read far less often.
    const stale = ready.filter((name) => this.deps.figures.ageMs(name) > (this.deps.figures.hasGpu(name) ? maxAgeMs : NO_GPU_MAX_AGE_MS));
    if (stale.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(stale.map((name) => this.readNode(name))),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.watchers > 0) void this.tick();
      else this.stop();
    }, this.deps.intervalMs ?? DEVICE_POLL_MS);
    this.timer.unref();
  }

  private readyNodes(): string[] {
    return this.deps.nodes().filter((node) => node.status === "ready").map((node) => node.node_name);
  }

  private async tick(): Promise<void> {
    const ready = this.readyNodes();
    this.deps.figures.retain(new Set(ready));
    await Promise.all(ready.map((name) => this.readNode(name)));
  }

  private readNode(nodeName: string): Promise<void> {
    let reading = this.reading.get(nodeName);
    if (!reading) {
      reading = this.deps
        .read(nodeName)
        .then((devices) => {
          this.failing.delete(nodeName);
          if (devices) this.deps.figures.record(nodeName, devices);
        })
        .catch((error: unknown) => {
          if (this.failing.has(nodeName)) return;
          this.failing.add(nodeName);
          this.deps.log?.(`${nodeName}: reading its devices failed: ${(error as Error)?.message ?? String(error)}`);
        })
        .finally(() => this.reading.delete(nodeName));
      this.reading.set(nodeName, reading);
    }
    return reading;
  }
}
