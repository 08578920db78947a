import type { PlacementPreviewQuery, PlacementPreviewResponse } from "../../shared/contract/engines.js";
import { RbeeError } from "../../shared/contract/errors.js";
import { placementKey } from "./placement-text.js";

/** The queen's answer for the form's choices, and, when they fit nowhere, where the model would fit among all nodes. */
export interface PreviewAnswer {
  readonly preview: PlacementPreviewResponse;
  /** Asked only when the chosen nodes cannot hold it; present only when some placement exists. */
  readonly elsewhere: PlacementPreviewResponse | null;
}

/** Where the placement preview is: nothing to ask, waiting (with the last answer still shown), an answer, or the queen's error. */
export type PreviewState =
  | { readonly kind: "idle" }
  | { readonly kind: "loading"; readonly last: PreviewAnswer | null }
  | { readonly kind: "answer"; readonly answer: PreviewAnswer }
  | { readonly kind: "failed"; readonly code: string; readonly message: string };

/** What the Spawn worker form drives: the latest choices in, states out. */
export interface PlacementPreviewer {
  /** The form's choices changed: ask again once they rest for a moment (null: nothing to ask). */
  readonly update: (query: PlacementPreviewQuery | null) => void;
  /** Stops: no further state is reported. */
  readonly dispose: () => void;
}

/**
 * Asks the queen for a placement preview as the choices change: debounced (a model typed letter by
 * letter is asked once), and an answer to older choices than the latest is dropped, however late it comes.
 */
export function createPlacementPreviewer(
  ask: (query: PlacementPreviewQuery) => Promise<PlacementPreviewResponse>,
  onState: (state: PreviewState) => void,
  delayMs = 300,
): PlacementPreviewer {
  let key: string | null = null;
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: PreviewAnswer | null = null;

  const run = async (query: PlacementPreviewQuery, mine: number): Promise<void> => {
    const current = (): boolean => mine === generation;
    try {
      const preview = await ask(query);
      // Fitting nowhere among the chosen nodes: say where it would fit among all of them.
      const elsewhere =
        preview.placement === null && query.nodes !== undefined && current()
          ? await ask({ ...query, nodes: undefined }).then(
              (answer) => (answer.placement ? answer : null),
              () => null,
            )
          : null;
      if (!current()) return;
      last = { preview, elsewhere };
      onState({ kind: "answer", answer: last });
    } catch (error) {
      if (!current()) return;
      const rbee = error instanceof RbeeError ? error : new RbeeError("INTERNAL", error instanceof Error ? error.message : String(error));
      onState({ kind: "failed", code: rbee.code, message: rbee.message });
    }
  };

  return {
    update(query) {
      const next = placementKey(query);
      if (next === key) return;
      key = next;
      const mine = ++generation;
      clearTimeout(timer);
      if (query === null) {
        last = null;
        onState({ kind: "idle" });
        return;
      }
      onState({ kind: "loading", last });
      timer = setTimeout(() => void run(query, mine), delayMs);
    },
    dispose() {
      generation++;
      clearTimeout(timer);
    },
  };
}
