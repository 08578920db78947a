import type { NodeDefaultsResponse } from "../../../shared/contract/nodes.js";
import { useApiValue } from "../../state/use-api-value.js";

/** Where the queen installs new nodes from by default: null while asked, or if it cannot say. */
export function useNodeDefaults(): NodeDefaultsResponse | null {
  return useApiValue<NodeDefaultsResponse | null>("", async (api) => api.nodeDefaults({}), null, null);
}
