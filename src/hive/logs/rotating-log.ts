import { closeSync, copyFileSync, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { MAX_LOG_LINE_CHARS } from "../../shared/contract/index.js";

/** Default cap of one log file; past it the file is rotated (one previous file is kept). */
export const DEFAULT_LOG_MAX_BYTES = 4 * 1024 * 1024;

/** The previous file of a rotated log. */
export function previousFile(path: string): string {
  return `${path}.1`;
}

/** Where a log writes: a file it opened itself, or a descriptor it was handed (the hive's stderr). */
export type LogTarget = { readonly kind: "file" } | { readonly kind: "fd"; readonly fd: number };

/** A line cut to MAX_LOG_LINE_CHARS, without line breaks (one write is one line). */
export function oneLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ");
  return flat.length > MAX_LOG_LINE_CHARS ? `${flat.slice(0, MAX_LOG_LINE_CHARS)}… (cut)` : flat;
}

/**
 * An append-only log file capped in size: a line that would take it past `maxBytes` first moves
 * its content to `<path>.1` (replacing the one before) and empties it ("copy, then truncate", which
 * also works for a descriptor other writers hold in append mode, such as the hive's stderr).
 * Writes are synchronous, so lines keep their order; listeners see each line as it is written.
 */
export class RotatingLog {
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private size: number;
  private readonly listeners = new Set<(line: string) => void>();
  private readonly endListeners = new Set<() => void>();
  private open = true;

  constructor(
    readonly path: string,
    private readonly maxBytes: number = DEFAULT_LOG_MAX_BYTES,
    target: LogTarget = { kind: "file" },
  ) {
    this.ownsFd = target.kind === "file";
    this.fd = target.kind === "file" ? openSync(path, "a", 0o600) : target.fd;
    this.size = fstatSync(this.fd).size;
  }

  /** Whether it still takes lines (false once closed). */
  get writable(): boolean {
    return this.open;
  }

  /** Appends one line (cut, newline added), rotating first when it would pass the cap. */
  write(text: string): void {
    if (!this.open) return;
    const line = oneLine(text);
    const bytes = Buffer.from(`${line}\n`, "utf8");
    if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
    try {
      writeSync(this.fd, bytes);
      this.size += bytes.length;
    } catch {
      // A full disk must not take the hive down: the line still reaches the followers.
    }
    for (const listener of this.listeners) listener(line);
  }

  private rotate(): void {
    try {
      copyFileSync(this.path, previousFile(this.path));
      ftruncateSync(this.fd, 0);
      this.size = 0;
    } catch {
      // Cannot rotate (file gone, disk full): keep appending rather than lose lines.
    }
  }

  /** Calls `listener` with each line written from now on; the disposer stops it. */
  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` once when the log closes (its worker exited). */
  onEnd(listener: () => void): () => void {
    if (!this.open) {
      listener();
      return () => undefined;
    }
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Takes no more lines; the file stays on disk. Followers are told. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    if (this.ownsFd) closeSync(this.fd);
    this.listeners.clear();
    for (const listener of this.endListeners) listener();
    this.endListeners.clear();
  }
}
