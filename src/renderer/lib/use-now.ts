import { useSyncExternalStore } from "react";

const TICK_MS = 15_000;
const subscribers = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(onTick: () => void): () => void {
  subscribers.add(onTick);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const subscriber of [...subscribers]) subscriber();
    }, TICK_MS);
  }
  return () => {
    subscribers.delete(onTick);
    if (subscribers.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/**
 * The current time in ms, refreshed every 15 s: relative times ("3 min ago") stay true without
 * asking the queen anything.
 */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}
