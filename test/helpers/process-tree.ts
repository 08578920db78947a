import { children } from "./listening-sockets.js";

/** Every descendant of `pid` (children, their children, …), read from /proc. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children(queue.shift()!)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Whether a process (not necessarily our child) still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to each pid that still exists; never throws. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
