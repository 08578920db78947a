import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";

/** A new secret: 32 random bytes as hex. */
export function newSecret(): string {
  return randomBytes(32).toString("hex");
}

/**
 * Reads the queen token from `path`, creating it (mode 0600) on first start. A token file left
 * readable by others is tightened rather than trusted as is.
 */
export function loadOrCreateToken(path: string): string {
  try {
    const token = readFileSync(path, "utf8").trim();
    if (token.length >= 32) {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
      return token;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const token = newSecret();
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/** Compares two secrets in constant time (hashing first so lengths leak nothing either). */
export function secretsEqual(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}
