import { mergeTransfers, type TransferView } from "../../state/model-transfers.js";
import { useFleet, useModels } from "../../state/fleet-context.js";
import { useModelCatalog } from "../../state/use-model-catalog.js";

/**
 * Every running download and copy once: those this window started (their streams) and those the
 * queen reports in `/v1/events` (started elsewhere, or before this window opened).
 */
export function useTransfers(): TransferView[] {
  const { downloads } = useFleet();
  const { state } = useModels();
  const catalog = useModelCatalog();
  // The queen names a transfer by its resolved reference: a catalog alias asked for here is compared as that.
  const resolve = (modelRef: string): string => catalog?.find((entry) => entry.alias === modelRef)?.model_ref ?? modelRef;
  return mergeTransfers(state.transfers, downloads, resolve);
}
