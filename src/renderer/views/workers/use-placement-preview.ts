import { useEffect, useRef, useState } from "react";
import type { PlacementPreviewQuery } from "../../../shared/contract/engines.js";
import { createPlacementPreviewer, type PlacementPreviewer, type PreviewState } from "../../lib/placement-previewer.js";
import { useApi } from "../../state/fleet-context.js";

/** The queen's placement preview for the Spawn worker form's choices, asked again (debounced) as they change. */
export function usePlacementPreview(query: PlacementPreviewQuery | null): PreviewState {
  const api = useApi();
  const [state, setState] = useState<PreviewState>({ kind: "idle" });
  const previewer = useRef<PlacementPreviewer | null>(null);

  useEffect(() => {
    const created = createPlacementPreviewer((asked) => api.placementPreview(asked), setState);
    previewer.current = created;
    return () => {
      created.dispose();
      previewer.current = null;
    };
  }, [api]);

  // The previewer tells a repeated query from a new one; it is handed every render's choices.
  useEffect(() => {
    previewer.current?.update(query);
  });

  return state;
}
