/** Lines a followed log keeps in memory; older ones are dropped (the file on the node keeps them). */
export const MAX_KEPT_LOG_LINES = 2000;

/** The lines kept so far, and how many older ones were dropped. */
export interface LogBuffer {
  readonly lines: readonly string[];
  readonly dropped: number;
}

export const EMPTY_LOG_BUFFER: LogBuffer = { lines: [], dropped: 0 };

/** Appends lines, keeping the newest `max` (pure). */
export function appendLines(buffer: LogBuffer, added: readonly string[], max = MAX_KEPT_LOG_LINES): LogBuffer {
  if (added.length === 0) return buffer;
  const all = [...buffer.lines, ...added];
  const over = Math.max(0, all.length - max);
  return { lines: over > 0 ? all.slice(over) : all, dropped: buffer.dropped + over };
}
