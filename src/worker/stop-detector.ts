/**
 * Finds stop strings in streamed text. Text that could still become a stop string is held back
 * until it either completes one (then it and everything after it is dropped) or cannot anymore.
 */
export class StopDetector {
  private held = "";
  private hit = false;

  constructor(private readonly stops: readonly string[]) {}

  /** True once a stop string appeared: the generation should end. */
  get stopped(): boolean {
    return this.hit;
  }

  /** Takes the next piece of text and returns what may be shown now. */
  push(text: string): string {
    if (this.hit) return "";
    if (this.stops.length === 0) return text;
    this.held += text;
    let earliest = -1;
    for (const stop of this.stops) {
      const at = this.held.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest)) earliest = at;
    }
    if (earliest >= 0) {
      const shown = this.held.slice(0, earliest);
      this.held = "";
      this.hit = true;
      return shown;
    }
    const keep = this.longestPendingSuffix();
    const shown = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return shown;
  }

  /** Releases the held text at the end of a generation that did not stop on a stop string. */
  flush(): string {
    const shown = this.hit ? "" : this.held;
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
