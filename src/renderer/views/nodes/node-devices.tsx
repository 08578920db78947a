import { devicesSummary, devicesTitle } from "../../lib/devices.js";
import { useNodeDevices } from "./use-node-devices.js";

/** What a ready node has to run workers on (backends, GPUs, memory), asked of its hive once. */
export function NodeDevices({ nodeName }: { readonly nodeName: string }) {
  const devices = useNodeDevices(nodeName);
  if (!devices) return null;
  return (
    <div className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="node-devices" title={devicesTitle(devices)}>
      {devicesSummary(devices)}
    </div>
  );
}
