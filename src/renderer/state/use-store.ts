import { useSyncExternalStore } from "react";
import type { Store } from "./store.js";

/** A store's current state; the component renders again whenever it changes. */
export function useStore<S>(store: Store<S>): S {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
