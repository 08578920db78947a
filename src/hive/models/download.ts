import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { RBEE_VERSION, RbeeError } from "../../shared/contract/index.js";
import { checkDownloadUrl, checkRedirectUrl } from "../../shared/contract/model-ref.js";
import { freeDiskBytes } from "./disk-space.js";

/** How far a download is. */
export interface DownloadProgress {
  readonly bytes: number;
  readonly bytes_total?: number;
}

/** One file to fetch. */
export interface DownloadRequest {
  readonly url: string;
  readonly dest: string;
  /** Sent to the first host only: dropped when a redirect leads to another origin. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly sizeBytes?: number;
  readonly sha256?: string;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Attempts after the first one, each resuming where the last stopped. */
  readonly retries?: number;
  /** An attempt that receives nothing for this long is abandoned (and resumed). */
  readonly idleTimeoutMs?: number;
  readonly freeBytes?: (dir: string) => Promise<number>;
  /** The network (default the global fetch): tests stand a test double in for an https origin. */
  readonly fetch?: typeof fetch;
  /** Stops the download (cancel): the partial file stays for a later resume. */
  readonly signal?: AbortSignal;
}

/** What was written to `dest`. */
export interface DownloadResult {
  readonly size_bytes: number;
  readonly sha256: string;
}

/** Room left free on the disk beyond the file itself. */
const DISK_MARGIN_BYTES = 64 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const PROGRESS_INTERVAL_MS = 200;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A failure worth another attempt (network, 5xx, short body); RbeeErrors are final. */
class RetryableError extends Error {}

/** Size and digest the hub announces on its answer (Hugging Face: `X-Linked-Size`, `X-Linked-Etag`). */
interface LinkedMetadata {
  size?: number;
  sha256?: string;
}

function readLinked(headers: Headers, into: LinkedMetadata): void {
  const size = Number(headers.get("x-linked-size"));
  if (into.size === undefined && Number.isSafeInteger(size) && size > 0) into.size = size;
  const etag = headers.get("x-linked-etag")?.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
  if (into.sha256 === undefined && etag && SHA256_HEX.test(etag)) into.sha256 = etag;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

function parseContentRange(value: string | null): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value?.trim() ?? "");
  if (!match) return undefined;
  const total = match[2] === "*" ? undefined : Number(match[2]);
  return { start: Number(match[1]), ...(total !== undefined ? { total } : {}) };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/** One file being fetched into `<dest>.partial`, resumed with `Range` after each interruption. */
class Download {
  private readonly partial: string;
  private hash: Hash = createHash("sha256");
  private offset = 0;
  private total: number | undefined;
  private sha256: string | undefined;
  private lastProgressAt = 0;

  constructor(private readonly request: DownloadRequest) {
    this.partial = `${request.dest}.partial`;
    this.total = request.sizeBytes;
    this.sha256 = request.sha256?.toLowerCase();
  }

  async run(): Promise<DownloadResult> {
    await mkdir(dirname(this.request.dest), { recursive: true });
    // A partial file left by an earlier run is resumed too.
    this.offset = await fileSize(this.partial);
    if (this.offset > 0) await hashFile(this.partial, this.hash);

    const retries = this.request.retries ?? 4;
    for (let failures = 0; ; ) {
      try {
        this.throwIfCancelled();
        await this.attempt();
        break;
      } catch (error) {
        this.throwIfCancelled();
        if (error instanceof RbeeError) throw error;
        failures += 1;
        if (failures > retries) {
          throw new RbeeError("DOWNLOAD_FAILED", `Download of ${this.request.url} failed after ${failures} attempts: ${describe(error)}`);
        }
        await delay(Math.min(250 * 2 ** (failures - 1), 4000));
      }
    }
    return this.finish();
  }

  private throwIfCancelled(): void {
    if (this.request.signal?.aborted) {
      throw new RbeeError("DOWNLOAD_FAILED", `Download of ${this.request.url} was cancelled at ${this.offset} bytes; the partial file stays for a later resume`);
    }
  }

  private async restartFromZero(): Promise<void> {
    await truncate(this.partial, 0).catch(() => undefined);
    this.offset = 0;
    this.hash = createHash("sha256");
  }

  private report(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt = now;
    this.request.onProgress?.({ bytes: this.offset, ...(this.total !== undefined ? { bytes_total: this.total } : {}) });
  }

  /** GETs the file, following redirects itself so that every hop is checked and credentials stay with their origin. */
  private async open(signal: AbortSignal): Promise<Response> {
    let url = checkDownloadUrl(this.request.url);
    let headers: Record<string, string> = { ...this.request.headers };
    const linked: LinkedMetadata = {};
    const network = this.request.fetch ?? fetch;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const response = await network(url, {
        redirect: "manual",
        signal,
        headers: {
          ...headers,
          "user-agent": `rbee-hive/${RBEE_VERSION}`,
          // Byte offsets must be those of the file, never of a compressed transfer.
          "accept-encoding": "identity",
          ...(this.offset > 0 ? { range: `bytes=${this.offset}-` } : {}),
        },
      });
      readLinked(response.headers, linked);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => undefined);
        // Checked before anything is asked of the next host: an https download never goes on over http.
        const next = checkRedirectUrl(url, location);
        if (next.origin !== url.origin) headers = {};
        url = next;
        continue;
      }
      this.sha256 ??= linked.sha256;
      if (this.total === undefined) this.total = linked.size;
      else if (linked.size !== undefined && linked.size !== this.total) {
        throw new RbeeError("DOWNLOAD_FAILED", `Size mismatch for ${this.request.url}: expected ${this.total} bytes, the server has ${linked.size}`);
      }
      return response;
    }
    throw new RbeeError("DOWNLOAD_FAILED", `Too many redirects for ${this.request.url}`);
  }

  private async attempt(): Promise<void> {
    const controller = new AbortController();
    const cancel = (): void => controller.abort(new RetryableError("cancelled"));
    this.request.signal?.addEventListener("abort", cancel, { once: true });
    const idleMs = this.request.idleTimeoutMs ?? 60_000;
    let idle = setTimeout(() => controller.abort(new RetryableError(`no data for ${idleMs} ms`)), idleMs);
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new RetryableError(`no data for ${idleMs} ms`)), idleMs);
    };
    try {
      const response = await this.open(controller.signal);
      const bodyTotal = await this.acceptStatus(response);
      if (bodyTotal === "complete") return;
      if (this.total !== undefined && bodyTotal !== undefined && bodyTotal !== this.total) {
        await response.body?.cancel().catch(() => undefined);
        throw new RbeeError("DOWNLOAD_FAILED", `Size mismatch for ${this.request.url}: expected ${this.total} bytes, the server sends ${bodyTotal}`);
      }
      this.total ??= bodyTotal;
      await this.checkDiskSpace(response);
      if (!response.body) throw new RetryableError("empty answer");

      this.report(true);
      const file = await open(this.partial, "a");
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          touch();
          await file.write(value);
          this.hash.update(value);
          this.offset += value.byteLength;
          this.report(false);
        }
        await file.datasync();
      } finally {
        reader.cancel().catch(() => undefined);
        await file.close();
      }
      this.report(true);
      if (this.total !== undefined && this.offset < this.total) {
        throw new RetryableError(`connection closed at ${this.offset} of ${this.total} bytes`);
      }
    } catch (error) {
      if (error instanceof RbeeError || error instanceof RetryableError) throw error;
      const reason: unknown = controller.signal.reason;
      throw new RetryableError(reason instanceof RetryableError ? reason.message : describe(error));
    } finally {
      clearTimeout(idle);
      this.request.signal?.removeEventListener("abort", cancel);
    }
  }

  /** Checks the status against the resume offset; answers the file's total size if the answer tells it. */
  private async acceptStatus(response: Response): Promise<number | undefined | "complete"> {
    const length = response.headers.get("content-length");
    const bodyLength = length === null ? undefined : Number(length);
    if (response.status === 200) {
      if (this.offset > 0) await this.restartFromZero(); // the server ignored Range
      return bodyLength;
    }
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get("content-range"));
      if (!range || range.start !== this.offset) {
        await response.body?.cancel().catch(() => undefined);
        await this.restartFromZero();
        throw new RetryableError(`the server resumed at the wrong offset (${response.headers.get("content-range") ?? "no Content-Range"})`);
      }
      return range.total ?? (bodyLength !== undefined ? this.offset + bodyLength : undefined);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 416) {
      if (this.total !== undefined && this.offset === this.total) return "complete";
      await this.restartFromZero();
      throw new RetryableError("the server refused the resume range");
    }
    if (response.status === 404 || response.status === 410) {
      throw new RbeeError("MODEL_NOT_FOUND", `No model at ${this.request.url} (HTTP ${response.status})`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new RbeeError(
        "DOWNLOAD_FAILED",
        `Access to ${this.request.url} was refused (HTTP ${response.status}): for a gated or private hub model set HF_TOKEN on the node`,
      );
    }
    if (response.status >= 400 && response.status < 500) {
      throw new RbeeError("DOWNLOAD_FAILED", `Download of ${this.request.url} was refused (HTTP ${response.status})`);
    }
    throw new RetryableError(`HTTP ${response.status}`);
  }

  private async checkDiskSpace(response: Response): Promise<void> {
    if (this.total === undefined) return;
    const needed = this.total - this.offset;
    const dir = dirname(this.request.dest);
    const free = await (this.request.freeBytes ?? freeDiskBytes)(dir);
    if (free < needed + DISK_MARGIN_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      throw new RbeeError(
        "NO_CAPACITY",
        `Not enough disk space in ${dir}: the model needs ${needed} more bytes (plus ${DISK_MARGIN_BYTES} spare), ${free} are free`,
      );
    }
  }

  private async finish(): Promise<DownloadResult> {
    const digest = this.hash.digest("hex");
    if (this.total !== undefined && this.offset !== this.total) {
      await rm(this.partial, { force: true });
      throw new RbeeError("DOWNLOAD_FAILED", `Size mismatch for ${this.request.url}: expected ${this.total} bytes, received ${this.offset}`);
    }
    if (this.sha256 !== undefined && digest !== this.sha256) {
      await rm(this.partial, { force: true });
      throw new RbeeError("DOWNLOAD_FAILED", `sha256 mismatch for ${this.request.url}: expected ${this.sha256}, received ${digest}; the file was deleted`);
    }
    await rename(this.partial, this.request.dest);
    return { size_bytes: this.offset, sha256: digest };
  }
}

/**
 * Downloads `url` to `dest` through `dest.partial`, resuming with `Range` after an interruption,
 * checking free disk space first and the size and sha256 when known (from the request or the
 * hub's headers); a file that fails a check is deleted. Throws RbeeError (DOWNLOAD_FAILED,
 * MODEL_NOT_FOUND, NO_CAPACITY, INVALID_REQUEST).
 */
export function downloadFile(request: DownloadRequest): Promise<DownloadResult> {
  return new Download(request).run();
}
