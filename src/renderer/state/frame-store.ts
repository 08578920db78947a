import { createStore, type WritableStore } from "./store.js";

/** Calls `callback` once at the next frame; answers the way to call it off. */
export type FrameScheduler = (callback: () => void) => () => void;

/**
 * How long a frame may be waited for before a timer stands in: a hidden window produces no
 * frames (and no requestAnimationFrame callbacks), but its state must still move on.
 */
const HIDDEN_FRAME_MS = 100;
/** The frame time a timer stands in for where there is no requestAnimationFrame at all (tests under Node). */
const TIMER_FRAME_MS = 16;

/**
 * The next animation frame (requestAnimationFrame), or a timer where frames do not come: no
 * requestAnimationFrame (Node), or a hidden window. Whichever comes first calls off the other.
 */
export const nextFrame: FrameScheduler = (callback) => {
  if (typeof requestAnimationFrame !== "function") {
    const timer = setTimeout(callback, TIMER_FRAME_MS);
    return () => clearTimeout(timer);
  }
  const frame = requestAnimationFrame(() => {
    clearTimeout(timer);
    callback();
  });
  const timer = setTimeout(() => {
    cancelAnimationFrame(frame);
    callback();
  }, HIDDEN_FRAME_MS);
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
};

/**
 * A store whose state changes at once but whose subscribers hear of it at most once per frame:
 * what React renders (getSnapshot) is the state as of the last notification.
 */
export interface FrameStore<S> extends WritableStore<S> {
  /** The newest state, which `set` replaced; getSnapshot answers it once subscribers have been told. */
  readonly latest: () => S;
  /** Tells subscribers of the newest state now, instead of at the next frame. */
  readonly flush: () => void;
}

/**
 * Creates a store that batches its notifications by frame. A change after a quiet frame is
 * passed on at once (an isolated update costs no wait), and further changes before the next
 * frame are passed on together at that frame: React renders once per frame however many events
 * arrive, and never more than the screen can show. getSnapshot answers one object between two
 * notifications, as useSyncExternalStore requires.
 */
export function createFrameStore<S>(initial: S, schedule: FrameScheduler = nextFrame): FrameStore<S> {
  const committed = createStore(initial);
  let latest = initial;
  /** Set while this frame has had its notification: until the next frame, changes wait. */
  let callOff: (() => void) | null = null;

  /** Hears the frame: a change made since the last notification is passed on, and holds the next frame in turn. */
  const onFrame = (): void => {
    callOff = null;
    if (!Object.is(latest, committed.getSnapshot())) notify();
  };
  /** Tells subscribers of the newest state, and lets no other notification through before the next frame. */
  const notify = (): void => {
    // Held first: a subscriber that sets the state while it is told leaves the change for the next frame.
    callOff = schedule(onFrame);
    committed.set(latest);
  };

  return {
    getSnapshot: committed.getSnapshot,
    subscribe: committed.subscribe,
    latest: () => latest,
    set(next) {
      if (Object.is(next, latest)) return false;
      latest = next;
      if (callOff === null) notify();
      return true;
    },
    flush() {
      callOff?.();
      callOff = null;
      committed.set(latest);
    },
  };
}
