// Secrets on the Node side of every program (queen, hive, worker): generated, stored, compared.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";

/** A new secret: 32 random bytes as hex. */
export function newSecret(): string {
  return randomBytes(32).toString("hex");
}

// Not crypto.hash: a node may run a Node 20 older than 20.12.
const sha256 = (text: string): Buffer => createHash("sha256").update(text).digest();

/** Compares two secrets in constant time (hashing first so that lengths leak nothing either). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * `secretsEqual` against one secret, its digest computed once: what a server checks every request
 * against (one hash per request rather than two).
 */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const expected = sha256(secret);
  return (candidate) => timingSafeEqual(sha256(candidate), expected);
}

/** The token of an `Authorization: Bearer …` header, if there is one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
  return match?.[1];
}

/**
 * Reads a secret from `path`, creating it (mode 0600) on first use. A file left readable by others
 * is tightened rather than trusted as is.
 */
export function loadOrCreateSecretFile(path: string): string {
  try {
    const secret = readFileSync(path, "utf8").trim();
    if (secret.length >= 32) {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
      return secret;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secret = newSecret();
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return secret;
}
