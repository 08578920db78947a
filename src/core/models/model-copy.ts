import { setTimeout as delay } from "node:timers/promises";
import { type HiveModelFile, type LocalModel, RbeeError } from "../../shared/contract/index.js";
import type { HiveClient } from "../remote/hive-client.js";

/** One end of a copy: a node and its hive. */
export interface CopyEnd {
  readonly nodeName: string;
  readonly client: HiveClient;
}

/** How a copy reports: bytes on the target so far, the file's size, and a line for the user. */
export type CopyProgress = (bytes: number, bytesTotal: number, message?: string) => void;

export interface CopyOptions {
  /** Caps the copy's bandwidth (bytes per second; RBEE_COPY_MAX_BYTES_PER_S); default no cap. */
  readonly maxBytesPerSecond?: number | undefined;
}

/** Counts the bytes passing through (and paces them under a cap). */
function counter(start: number, total: number, report: CopyProgress, maxBytesPerSecond: number | undefined): TransformStream<Uint8Array, Uint8Array> {
  let bytes = start;
  const began = Date.now();
  return new TransformStream({
    async transform(chunk, controller) {
      bytes += chunk.byteLength;
      if (maxBytesPerSecond) {
        const due = began + ((bytes - start) / maxBytesPerSecond) * 1000;
        if (due > Date.now()) await delay(due - Date.now());
      }
      controller.enqueue(chunk);
      report(bytes, total);
    },
  });
}

/**
 * Copies one model file from one node to another through this process: the source hive's file
 * stream (from where a partial copy on the target stopped) is piped into the target hive's
 * receive, both over the queen's own connections, so the nodes never reach each other. The
 * target verifies size and sha256 before it records the file. COPY_FAILED when it breaks (run
 * it again: it resumes) or arrives wrong.
 */
export async function copyModelFile(
  from: CopyEnd,
  to: CopyEnd,
  source: HiveModelFile,
  report: CopyProgress,
  signal: AbortSignal,
  options: CopyOptions = {},
): Promise<LocalModel | "present"> {
  if (!source.sha256) throw new RbeeError("COPY_FAILED", `${source.model_ref} on ${from.nodeName} has no known sha256 yet: list its models again, then copy`);
  const request = { model_ref: source.model_ref, file: source.file, bytes: source.bytes, sha256: source.sha256 };
  const start = await to.client.startReceive(request);
  if (start.present) return "present";
  report(start.offset, source.bytes, start.offset > 0
    ? `Resuming the copy of ${source.model_ref} from ${from.nodeName} to ${to.nodeName} at ${start.offset} of ${source.bytes} bytes`
    : `Copying ${source.model_ref} from ${from.nodeName} to ${to.nodeName}`);
  const abort = new AbortController();
  const both = AbortSignal.any([signal, abort.signal]);
  let sent = start.offset;
  try {
    const reading = await from.client.readModel(source.model_ref, start.offset, both);
    if (!reading.body) throw new RbeeError("COPY_FAILED", `${from.nodeName} sent no body for ${source.model_ref}`);
    const body = reading.body.pipeThrough(
      counter(start.offset, source.bytes, (bytes, total, message) => {
        sent = bytes;
        report(bytes, total, message);
      }, options.maxBytesPerSecond),
    );
    return await to.client.receive(request, start.offset, body, both);
  } catch (error) {
    abort.abort();
    if (signal.aborted) throw new RbeeError("COPY_FAILED", `The copy of ${source.model_ref} to ${to.nodeName} was cancelled at ${sent} of ${source.bytes} bytes; run it again to resume`);
    if (error instanceof RbeeError && error.code === "COPY_FAILED") throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new RbeeError(
      "COPY_FAILED",
      `The copy of ${source.model_ref} from ${from.nodeName} to ${to.nodeName} broke at ${sent} of ${source.bytes} bytes (${why}); run it again: it resumes`,
    );
  }
}
