import type { HiveDevices } from "../../../shared/contract/hive.js";
import { devicesSummary, devicesTitle } from "../../lib/devices.js";

/** What a ready node has to run workers on: backends and memory, one line (its GPUs in the title). */
export function NodeDevices({ devices }: { readonly devices: HiveDevices | null }) {
  if (!devices) return null;
  return (
    <div className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="node-devices" title={devicesTitle(devices)}>
      {devicesSummary(devices)}
    </div>
  );
}
