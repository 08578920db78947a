import type { HiveDevices, NodeDevicesFigures } from "../../shared/contract/index.js";
import { Emitter, type Disposable } from "../../shared/emitter.js";

/** The last devices (with live GPU figures) each node's hive reported, and when the queen read them. */
export class DeviceFigures {
  private readonly last = new Map<string, { readonly devices: HiveDevices; readonly readAtMs: number }>();
  private readonly changed = new Emitter<void>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Fires after the figures of a node changed or were dropped. */
  readonly onDidChange = (listener: () => void): Disposable => this.changed.on(listener);

  record(nodeName: string, devices: HiveDevices): void {
    const before = this.last.get(nodeName);
    this.last.set(nodeName, { devices, readAtMs: this.clock() });
    if (!before || JSON.stringify(before.devices) !== JSON.stringify(devices)) this.changed.fire();
  }

  /** Drops the figures of nodes not in `keep` (removed, or no longer ready: their figures would be stale). */
  retain(keep: ReadonlySet<string>): void {
    let dropped = false;
    for (const name of this.last.keys()) {
      if (!keep.has(name)) dropped = this.last.delete(name) || dropped;
    }
    if (dropped) this.changed.fire();
  }

  /** How long ago a node's figures were read; Infinity when never. */
  ageMs(nodeName: string): number {
    const entry = this.last.get(nodeName);
    return entry ? this.clock() - entry.readAtMs : Number.POSITIVE_INFINITY;
  }

  /** Whether the node's last figures show a GPU (false before its first read). */
  hasGpu(nodeName: string): boolean {
    return (this.last.get(nodeName)?.devices.vram.length ?? 0) > 0;
  }

  list(): NodeDevicesFigures[] {
    return [...this.last].map(([node_name, { devices }]) => ({ node_name, devices })).sort((a, b) => a.node_name.localeCompare(b.node_name));
  }
}
