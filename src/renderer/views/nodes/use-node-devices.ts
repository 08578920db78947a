import type { HiveDevices } from "../../../shared/contract/hive.js";
import { useFleet } from "../../state/fleet-context.js";
import { useApiValue } from "../../state/use-api-value.js";

/**
 * What a ready node's hive has to run workers on: the live figures the queen pushes while the UI is
 * open, else the answer of asking once; null until (or unless) either comes, and for a node not ready.
 */
export function useNodeDevices(nodeName: string, ready: boolean): HiveDevices | null {
  const live = useFleet().devices.get(nodeName);
  const asked = useApiValue<HiveDevices | null>(
    `${nodeName}:${ready}`,
    async (api) => (ready ? api.nodeDevices({ node_name: nodeName }) : null),
    null,
    null,
  );
  return ready ? (live ?? asked) : null;
}
