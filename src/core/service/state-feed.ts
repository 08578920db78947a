import type { QueenEvent } from "../../shared/contract/index.js";
import type { Disposable } from "../../shared/emitter.js";
import type { Queen } from "../queen.js";

/**
 * Feeds `listener` a snapshot of nodes, workers and recent worker exits at once, then a fresh snapshot after each
 * change. Bursts of changes within one tick are sent as one snapshot per kind.
 */
export function subscribeToState(queen: Queen, listener: (event: QueenEvent) => void): Disposable {
  const pending = new Set<QueenEvent["type"]>();
  let scheduled: ReturnType<typeof setImmediate> | undefined;
  const flush = (): void => {
    scheduled = undefined;
    const types = [...pending];
    pending.clear();
    try {
      for (const type of types) listener(snapshot(queen, type));
    } catch (error) {
      // The queen is shutting down: its registry closed after the last change was announced.
      if (!(error instanceof TypeError && /not open/.test(error.message))) throw error;
    }
  };
  const schedule = (type: QueenEvent["type"]) => (): void => {
    pending.add(type);
    scheduled ??= setImmediate(flush);
  };
  listener(snapshot(queen, "nodes"));
  listener(snapshot(queen, "workers"));
  listener(snapshot(queen, "exits"));
  const disposables = [
    queen.beehives.onDidChange(schedule("nodes")),
    queen.workers.onDidChange(schedule("workers")),
    queen.exits.onDidChange(schedule("exits")),
  ];
  return () => {
    if (scheduled) clearImmediate(scheduled);
    for (const dispose of disposables) dispose();
  };
}

function snapshot(queen: Queen, type: QueenEvent["type"]): QueenEvent {
  switch (type) {
    case "nodes":
      return { type, nodes: queen.beehives.list() };
    case "workers":
      return { type, workers: queen.workers.list() };
    case "exits":
      return { type, exits: [...queen.exits.list()] };
  }
}
