import { createHash, createHmac } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";

/** OpenSSH's `SHA256:` fingerprint of a raw public key blob. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type a raw public key blob starts with (an SSH string, e.g. `ssh-ed25519`). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString("ascii");
}

/** How OpenSSH names a host in known_hosts: bare for port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** What the known hosts files say about a host's key. */
export type HostKeyVerdict = "known" | "unknown" | "mismatch" | "revoked";

interface Entry {
  readonly marker: string | null;
  readonly patterns: string;
  readonly keyType: string;
  readonly key: string;
}

function parseLine(line: string): Entry | null {
  const trimmed = line.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return null;
  const fields = trimmed.split(/\s+/);
  const marker = fields[0]?.startsWith("@") ? (fields.shift() ?? null) : null;
  const [patterns, keyType, key] = fields;
  if (!patterns || !keyType || !key) return null;
  return { marker, patterns, keyType, key };
}

function hashedMatches(pattern: string, token: string): boolean {
  const [, kind, salt, hash] = pattern.split("|");
  if (kind !== "1" || !salt || !hash) return false;
  const digest = createHmac("sha1", Buffer.from(salt, "base64")).update(token).digest("base64");
  return digest === hash;
}

function globMatches(pattern: string, token: string): boolean {
  const regex = new RegExp(
    `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`,
  );
  return regex.test(token);
}

function entryNamesHost(entry: Entry, token: string): boolean {
  if (entry.patterns.startsWith("|")) return hashedMatches(entry.patterns, token);
  let matched = false;
  for (const pattern of entry.patterns.split(",")) {
    if (pattern.startsWith("!")) {
      if (globMatches(pattern.slice(1), token)) return false;
    } else if (globMatches(pattern, token)) {
      matched = true;
    }
  }
  return matched;
}

/**
 * The host keys the user accepted: the queen's own file (written on first use) and, read only,
 * the user's `~/.ssh/known_hosts`.
 */
export class KnownHosts {
  constructor(
    private readonly ownFile: string,
    private readonly readOnlyFiles: readonly string[] = [],
  ) {}

  /** Checks a presented key against every file. A host listed with other keys is a mismatch. */
  verify(host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
    const token = hostToken(host, port);
    const keyType = keyTypeOf(keyBlob);
    const key = keyBlob.toString("base64");
    let listed = false;
    for (const entry of this.entries()) {
      if (entry.marker === "@cert-authority" || !entryNamesHost(entry, token)) continue;
      if (entry.marker === "@revoked") {
        if (entry.key === key) return "revoked";
        continue;
      }
      if (entry.keyType === keyType && entry.key === key) return "known";
      if (entry.keyType === keyType) listed = true;
    }
    return listed ? "mismatch" : "unknown";
  }

  /** Records a key as trusted (trust on first use). */
  trust(host: string, port: number, keyBlob: Buffer): void {
    appendFileSync(this.ownFile, `${hostToken(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString("base64")}\n`, {
      mode: 0o600,
    });
  }

  private *entries(): Generator<Entry> {
    for (const file of [this.ownFile, ...this.readOnlyFiles]) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        continue;
      }
      for (const line of text.split("\n")) {
        const entry = parseLine(line);
        if (entry) yield entry;
      }
    }
  }
}
