import type { HiveDevices } from "../../../shared/contract/hive.js";
import { useApiValue } from "../../state/use-api-value.js";

/**
 * What this computer's node has (RAM, GPUs), asked of its hive once (which starts it: the first
 * model will need it anyway); null without a local node, until it answers, or if it cannot.
 */
export function useLocalDevices(nodeName: string | null): HiveDevices | null {
  return useApiValue<HiveDevices | null>(
    nodeName ?? "",
    (api) => (nodeName === null ? Promise.resolve(null) : api.nodeDevices({ node_name: nodeName })),
    null,
    null,
  );
}
