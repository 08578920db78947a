/**
 * Finds stop strings in streamed text. Text that could still become a stop string is held back
 * until it either completes one (then it and everything after it is dropped) or cannot anymore.
 */
export class StopDetector {
  private held = "";
  private hit: string | undefined;

  constructor(private readonly stops: readonly string[]) {}

  /** True once a stop string appeared: the generation should end. */
  get stopped(): boolean {
    return this.hit !== undefined;
  }

  /** The stop string that ended the text, once one did (the earliest in the text; the longest there). */
  get matched(): string | undefined {
    return this.hit;
  }

  /** Takes the next piece of text and returns what may be shown now. */
  push(text: string): string {
    if (this.hit !== undefined) return "";
    if (this.stops.length === 0) return text;
    this.held += text;
    let earliest = -1;
    let matched: string | undefined;
    for (const stop of this.stops) {
      const at = this.held.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest || (at === earliest && stop.length > (matched?.length ?? 0)))) {
        earliest = at;
        matched = stop;
      }
    }
    if (matched !== undefined) {
      const shown = this.held.slice(0, earliest);
      this.held = "";
      this.hit = matched;
      return shown;
    }
    const keep = this.longestPendingSuffix();
    const shown = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return shown;
  }

  /** Releases the held text at the end of a generation that did not stop on a stop string. */
  flush(): string {
    const shown = this.hit !== undefined ? "" : this.held;
    this.held = "";
    return shown;
  }

  // Length of the longest end of the held text that begins some stop string.
  private longestPendingSuffix(): number {
    const max = Math.min(this.held.length, Math.max(...this.stops.map((stop) => stop.length - 1)));
    for (let length = max; length > 0; length--) {
      const suffix = this.held.slice(this.held.length - length);
      if (this.stops.some((stop) => stop.startsWith(suffix))) return length;
    }
    return 0;
  }
}
