import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import ssh2 from "ssh2";
import { RbeeError } from "../../shared/contract/index.js";
import { expandHome } from "../../node-common/home.js";
import { fingerprintOf, type HostKeyVerdict, type KnownHosts } from "./known-hosts.js";

/** Where and as whom to connect. */
export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly keyPath?: string | null | undefined;
  readonly passphrase?: string | undefined;
}

/** What to do with a host key never seen before. */
export type UnknownHostPolicy = "trust" | "accept-once";

export interface SshConnectOptions {
  readonly knownHosts: KnownHosts;
  /** `trust` records a new host key (trust on first use); `accept-once` connects without recording. */
  readonly unknownHost: UnknownHostPolicy;
  readonly timeoutMs?: number;
  /** Refuse any other key than this `SHA256:` fingerprint (the one the user confirmed). */
  readonly expectedFingerprint?: string | undefined;
  /** The ssh-agent socket, default `SSH_AUTH_SOCK`. */
  readonly agent?: string | undefined;
}

/** An open, authenticated connection and what was learnt about the host's key. */
export interface SshSession {
  readonly client: ssh2.Client;
  readonly fingerprint: string;
  /** The key was already trusted before this connection. */
  readonly known: boolean;
}

export const DEFAULT_SSH_TIMEOUT_MS = 10_000;

/** Opens an SSH connection with host key verification; failures are SSH_FAILED with the reason. */
export async function connectSsh(target: SshTarget, options: SshConnectOptions): Promise<SshSession> {
  const privateKey = target.keyPath ? await readPrivateKey(target.keyPath, target.passphrase) : undefined;
  const agent = options.agent ?? process.env.SSH_AUTH_SOCK;
  if (!privateKey && !agent) {
    throw new RbeeError("SSH_FAILED", `SSH authentication failed: no key file given and no ssh-agent running`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_SSH_TIMEOUT_MS;
  const client = new ssh2.Client();
  let verdict: HostKeyVerdict | "unexpected" | undefined;
  let fingerprint = "";

  return new Promise<SshSession>((resolve, reject) => {
    let settled = false;
    const fail = (error: RbeeError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      reject(error);
    };
    // Our own deadline covers the TCP connect too, which readyTimeout alone does not bound.
    const timer = setTimeout(
      () => fail(sshError(target, `timed out after ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    client.on("ready", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Tunnelled requests are small: Nagle with delayed ACKs would add ~40 ms to each (measured in bench/).
      client.setNoDelay(true);
      if (verdict === "unknown" && options.unknownHost === "trust") {
        options.knownHosts.trust(target.host, target.port, Buffer.from(lastKey));
      }
      resolve({ client, fingerprint, known: verdict === "known" });
    });
    client.on("error", (error: Error & { level?: string; code?: string }) => {
      fail(sshError(target, describeFailure(error, verdict)));
    });
    let lastKey: Uint8Array = new Uint8Array();
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      ...(privateKey ? { privateKey, ...(target.passphrase ? { passphrase: target.passphrase } : {}) } : {}),
      ...(agent ? { agent } : {}),
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        lastKey = Uint8Array.from(key);
        fingerprint = fingerprintOf(key);
        verdict = options.knownHosts.verify(target.host, target.port, key);
        if (options.expectedFingerprint && options.expectedFingerprint !== fingerprint) verdict = "unexpected";
        return verdict === "known" || verdict === "unknown";
      },
    });
  });
}

/** Runs one command and collects its output; rejects on a non-zero exit. */
export function execCollect(
  client: ssh2.Client,
  command: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) {
        reject(new RbeeError("SSH_FAILED", `SSH command could not start: ${error.message}`));
        return;
      }
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => stdout.push(chunk));
      stream.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      stream.on("close", (code: number | null) => {
        resolve({
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          code: code ?? -1,
        });
      });
    });
  });
}

/** Private keys are a few KiB (an RSA 16384 one is ~13 KiB): anything larger is not a key. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Reads a key file, refusing at once anything but a regular file under MAX_KEY_FILE_BYTES: a FIFO
 * would block the read forever, /dev/zero would never end. Checked before opening, and again on the
 * opened file (opened non-blocking, read bounded) in case the path was swapped in between.
 */
async function readKeyFile(keyPath: string): Promise<Buffer> {
  const path = expandHome(keyPath);
  const refuse = (reason: string): RbeeError =>
    new RbeeError("INVALID_REQUEST", `SSH key file ${keyPath} ${reason}`, [{ field: "ssh_key_path", message: `${reason}: ${keyPath}` }]);
  const check = (stats: { isFile(): boolean; isDirectory(): boolean; size: number }): void => {
    if (stats.isDirectory()) throw refuse("is a directory, not a key file");
    if (!stats.isFile()) throw refuse("is not a regular file");
    if (stats.size > MAX_KEY_FILE_BYTES) throw refuse(`is too large for a key file (over ${MAX_KEY_FILE_BYTES} bytes)`);
  };
  try {
    check(await stat(path));
    const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      check(await file.stat());
      const key = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
      let length = 0;
      while (length < key.length) {
        const { bytesRead } = await file.read(key, length, key.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > MAX_KEY_FILE_BYTES) throw refuse(`is too large for a key file (over ${MAX_KEY_FILE_BYTES} bytes)`);
      return key.subarray(0, length);
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof RbeeError) throw error;
    throw refuse((error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "cannot be read");
  }
}

async function readPrivateKey(keyPath: string, passphrase: string | undefined): Promise<Buffer> {
  const key = await readKeyFile(keyPath);
  const parsed = ssh2.utils.parseKey(key, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    const message = encrypted
      ? passphrase
        ? "the passphrase does not open this key"
        : "this key is encrypted: a passphrase is needed"
      : `not a private key ssh can use (${parsed.message})`;
    throw new RbeeError("INVALID_REQUEST", `SSH key file ${keyPath}: ${message}`, [
      { field: "ssh_key_path", message },
    ]);
  }
  return key;
}

function sshError(target: SshTarget, reason: string): RbeeError {
  return new RbeeError("SSH_FAILED", `SSH to ${target.user}@${target.host}:${target.port} failed: ${reason}`);
}

function describeFailure(
  error: Error & { level?: string; code?: string },
  verdict: HostKeyVerdict | "unexpected" | undefined,
): string {
  if (verdict === "unexpected") return "host key mismatch: the host presents another key than the one you confirmed";
  if (verdict === "mismatch") {
    return "host key mismatch: the host presents a different key than the one trusted (possible impersonation); remove the old key from known_hosts only if the host was reinstalled";
  }
  if (verdict === "revoked") return "host key mismatch: the host presents a revoked key";
  if (error.level === "client-authentication") return "authentication failed: the server refused the key";
  if (error.level === "client-timeout") return "timed out during the handshake";
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused (is sshd running on that port?)";
    case "ETIMEDOUT":
      return "timed out connecting";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host name not found";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "ECONNRESET":
      return "connection reset by the server";
    default:
      return error.message;
  }
}
