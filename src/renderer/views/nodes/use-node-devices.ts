import type { HiveDevices } from "../../../shared/contract/hive.js";
import { useApiValue } from "../../state/use-api-value.js";

/** What a node's hive has to run workers on, asked once per node; null until (or unless) it answers. */
export function useNodeDevices(nodeName: string): HiveDevices | null {
  return useApiValue<HiveDevices | null>(nodeName, (api) => api.nodeDevices({ node_name: nodeName }), null, null);
}
