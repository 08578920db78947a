import { useSyncExternalStore } from "react";
import type { Store } from "./store.js";

/** A store's current state; the component renders again whenever it changes. */
export function useStore<S>(store: Store<S>): S {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** What `select` picks from a store's state; the component renders again only when that changes. */
export function useStoreSelector<S, T>(store: Store<S>, select: (state: S) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.getSnapshot()));
}
