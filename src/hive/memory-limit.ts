import { readFileSync } from "node:fs";
import { RbeeError } from "../shared/contract/index.js";

/** The variable that caps the memory this node gives rbee (its workers and rpc-servers), in bytes. */
export const MEMORY_LIMIT_ENV = "RBEE_MEMORY_LIMIT_BYTES";

/** `RBEE_MEMORY_LIMIT_BYTES` as a number of bytes; undefined when unset; INVALID_REQUEST when it is not a whole number. */
export function memoryLimit(env: NodeJS.ProcessEnv): number | undefined {
  const text = env[MEMORY_LIMIT_ENV]?.trim();
  if (!text) return undefined;
  if (!/^\d{1,16}$/.test(text)) {
    throw new RbeeError("INVALID_REQUEST", `${MEMORY_LIMIT_ENV} must be a whole number of bytes (e.g. 8589934592 for 8 GiB), not '${text}'`);
  }
  return Number(text);
}

/** The free RAM rbee may use: the machine's free memory, within the limit less what rbee's processes take already. */
export function freeWithinLimit(freeBytes: number, limitBytes: number | undefined, usedBytes: number): number {
  if (limitBytes === undefined) return freeBytes;
  return Math.max(0, Math.min(freeBytes, limitBytes - usedBytes));
}

/** A process's resident memory in bytes (Linux's /proc/<pid>/status VmRSS); undefined elsewhere or once it is gone. */
export function processRssBytes(pid: number): number | undefined {
  if (pid <= 0) return undefined;
  try {
    const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}
