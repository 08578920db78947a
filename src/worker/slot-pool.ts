/**
 * A fixed set of interchangeable slots (the context sequences of a model): a job takes one for its
 * whole run and gives it back. Never waits: when none is free, `acquire` answers undefined.
 */
export class SlotPool<T> {
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

  /** Takes a free slot, or undefined when all are in use. */
  acquire(): T | undefined {
    const slot = this.free.pop();
    if (slot !== undefined) this.notify();
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
