/** Who sent a request: a person at the chat pane or the CLI, or a program through a client API. */
export type RequestOrigin = "interactive" | "api";

/** An interactive request goes ahead of API requests that have waited less than this. */
export const INTERACTIVE_HEAD_START_MS = 30_000;

/**
 * A request's place in line, fixed when it first arrives: its arrival time, less the head start
 * for an interactive one. The line is ordered by it, so a person never waits behind a batch that
 * arrived moments before, and an API request that has waited 30 s is passed by no one new: nothing
 * waits forever.
 */
export function placeInLine(origin: RequestOrigin, arrivedAtMs: number): number {
  return origin === "interactive" ? arrivedAtMs - INTERACTIVE_HEAD_START_MS : arrivedAtMs;
}

/** A line of waiting entries, kept in order of their place (first come first for equal places). */
export class WaitLine<T extends { readonly place: number }> {
  private readonly entries: T[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** Adds an entry behind every one whose place is not later. */
  add(entry: T): void {
    let at = this.entries.length;
    while (at > 0 && this.entries[at - 1]!.place > entry.place) at -= 1;
    this.entries.splice(at, 0, entry);
  }

  /** Removes an entry; false when it was not in line. */
  remove(entry: T): boolean {
    const at = this.entries.indexOf(entry);
    if (at < 0) return false;
    this.entries.splice(at, 1);
    return true;
  }

  /** The entries, first in line first. */
  inOrder(): readonly T[] {
    return [...this.entries];
  }
}
