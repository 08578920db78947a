import type { Unsubscribe } from "../../shared/contract/api.js";

/** What React's useSyncExternalStore reads: the current state, and a way to hear that it changed. */
export interface Store<S> {
  readonly getSnapshot: () => S;
  readonly subscribe: (onChange: () => void) => Unsubscribe;
}

/** A store as its owner holds it: `set` is kept from the views, which only read and call actions. */
export interface WritableStore<S> extends Store<S> {
  /** Replaces the state and tells every subscriber; the same state again changes nothing. Answers whether it changed. */
  readonly set: (next: S) => boolean;
}

/** The one state-and-listeners base every renderer store (fleet, operations, chat) is built on. */
export function createStore<S>(initial: S): WritableStore<S> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getSnapshot: () => state,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => {
        listeners.delete(onChange);
      };
    },
    set(next) {
      if (Object.is(next, state)) return false;
      state = next;
      // A listener may unsubscribe while it runs: notify the ones present at the change.
      for (const listener of [...listeners]) listener();
      return true;
    },
  };
}
