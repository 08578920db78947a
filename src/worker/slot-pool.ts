/**
 * A fixed set of slots (the context sequences of a model): a job takes one for its whole run and
 * gives it back. Never waits: when none is free, `acquire` answers undefined.
 */
export class SlotPool<T> {
  // Oldest first: the slot given back longest ago leads, the one just given back is last.
  private readonly free: T[];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly all: readonly T[]) {
    this.free = [...all];
  }

  get total(): number {
    return this.all.length;
  }

  get available(): number {
    return this.free.length;
  }

  /**
   * Takes the free slot that `score` rates highest, or undefined when all are in use. Among equal
   * scores (and without `score`) it takes the one free the longest, so that what was used last,
   * the likeliest to be wanted again, stays.
   */
  acquire(score?: (slot: T) => number): T | undefined {
    if (this.free.length === 0) return undefined;
    const rate = (slot: T): number => {
      const value = score ? score(slot) : 0;
      return Number.isNaN(value) ? -Infinity : value;
    };
    let best = 0;
    let bestScore = rate(this.free[0] as T);
    for (let index = 1; index < this.free.length; index++) {
      const value = rate(this.free[index] as T);
      if (value > bestScore) {
        best = index;
        bestScore = value;
      }
    }
    const [slot] = this.free.splice(best, 1);
    this.notify();
    return slot;
  }

  /** Gives a slot back. */
  release(slot: T): void {
    if (!this.all.includes(slot) || this.free.includes(slot)) return;
    this.free.push(slot);
    this.notify();
  }

  /** Calls `listener` whenever the number of free slots changes; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
