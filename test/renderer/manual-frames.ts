import type { FrameScheduler } from "../../src/renderer/state/frame-store.js";

/** A frame scheduler the test drives: `frame()` runs what waits for the next frame. */
export function manualFrames(): { schedule: FrameScheduler; frame: () => void; waiting: () => number } {
  let callbacks: (() => void)[] = [];
  return {
    schedule(callback) {
      callbacks.push(callback);
      return () => {
        callbacks = callbacks.filter((c) => c !== callback);
      };
    },
    frame() {
      const due = callbacks;
      callbacks = [];
      for (const callback of due) callback();
    },
    waiting: () => callbacks.length,
  };
}
