import { createHash, createHmac } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import type { ServerHostKeyAlgorithm } from "ssh2";
import { RbeeError } from "../../shared/contract/index.js";

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

/** A key recorded for a host: its type and the file that holds it. */
export interface RecordedKey {
  readonly keyType: string;
  readonly file: string;
}

/** A verdict and the keys it was reached from. */
export interface HostKeyCheck {
  readonly verdict: HostKeyVerdict;
  /** The (not revoked) keys recorded for this host:port, of any type. */
  readonly recorded: readonly RecordedKey[];
}

/** The host key algorithms ssh2 (1.x) offers by default, best first. */
const DEFAULT_HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/** The host key algorithms that make a server present a key of each known_hosts key type. */
const ALGORITHMS_OF_KEY_TYPE: Readonly<Record<string, readonly ServerHostKeyAlgorithm[]>> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/**
 * The host key algorithms to offer, those that yield a recorded key type first (as OpenSSH
 * orders them): a host with several keys then presents the one recorded.
 */
export function hostKeyAlgorithmsPreferring(recordedKeyTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const preferred = recordedKeyTypes.flatMap((keyType) => ALGORITHMS_OF_KEY_TYPE[keyType] ?? []);
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

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

/** A line that records a host's key (not a CA, not a revocation). */
function isKeyEntry(entry: Entry): boolean {
  return entry.marker !== "@cert-authority" && entry.marker !== "@revoked";
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

  /**
   * Checks a presented key against every file. A host is keyed by host:port, not by key type: a
   * host with any recorded key that does not match is a mismatch (an impostor offering another key
   * type must not pass as a new host). A revoked key is refused whatever else is recorded.
   */
  check(host: string, port: number, keyBlob: Buffer): HostKeyCheck {
    const token = hostToken(host, port);
    const keyType = keyTypeOf(keyBlob);
    const key = keyBlob.toString("base64");
    const recorded: RecordedKey[] = [];
    let matched = false;
    let revoked = false;
    for (const { file, entry } of this.entries()) {
      if (entry.marker === "@cert-authority" || !entryNamesHost(entry, token)) continue;
      if (entry.marker === "@revoked") {
        if (entry.key === key) revoked = true;
        continue;
      }
      recorded.push({ keyType: entry.keyType, file });
      if (entry.keyType === keyType && entry.key === key) matched = true;
    }
    const verdict = revoked ? "revoked" : matched ? "known" : recorded.length > 0 ? "mismatch" : "unknown";
    return { verdict, recorded };
  }

  /** The verdict alone (see `check`). */
  verify(host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
    return this.check(host, port, keyBlob).verdict;
  }

  /** The key types recorded for a host:port (for asking the server for one of those first). */
  recordedKeyTypes(host: string, port: number): string[] {
    const token = hostToken(host, port);
    const types = new Set<string>();
    for (const { entry } of this.entries()) {
      if (isKeyEntry(entry) && entryNamesHost(entry, token)) types.add(entry.keyType);
    }
    return [...types];
  }

  /**
   * Records a key as trusted (trust on first use). Checked again right before writing: a key
   * recorded meanwhile (another connection) is never joined by a second one; the same key is not
   * written twice.
   */
  trust(host: string, port: number, keyBlob: Buffer): void {
    const { verdict } = this.check(host, port, keyBlob);
    if (verdict === "known") return;
    if (verdict !== "unknown") {
      throw new RbeeError("SSH_FAILED", `host key mismatch: another key was recorded for ${hostToken(host, port)} meanwhile`);
    }
    appendFileSync(this.ownFile, `${hostToken(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString("base64")}\n`, {
      mode: 0o600,
    });
  }

  private *entries(): Generator<{ file: string; entry: Entry }> {
    for (const file of [this.ownFile, ...this.readOnlyFiles]) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        continue;
      }
      for (const line of text.split("\n")) {
        const entry = parseLine(line);
        if (entry) yield { file, entry };
      }
    }
  }
}
