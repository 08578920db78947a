import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import ssh2 from "ssh2";
import { RbeeError } from "../../shared/contract/index.js";
import { expandHome } from "../../node-common/home.js";
import {
  fingerprintOf,
  hostKeyAlgorithmsPreferring,
  hostToken,
  keyTypeOf,
  type HostKeyCheck,
  type KnownHosts,
} from "./known-hosts.js";
import { NO_KEY_NO_AGENT, describeRefusedLogin } from "./refused-login.js";

/** Where and as whom to connect. */
export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly keyPath?: string | null | undefined;
  readonly passphrase?: string | undefined;
}

/**
 * What to do with a host none of whose keys is recorded: `trust` records its key (trust on first
 * use: only when the user adds or first uses a node), `accept-once` connects without recording (a
 * test), `refuse` fails (a background reconnect never decides to trust a host).
 */
export type UnknownHostPolicy = "trust" | "accept-once" | "refuse";

export interface SshConnectOptions {
  readonly knownHosts: KnownHosts;
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
  if (!privateKey && !agent) throw sshError(target, NO_KEY_NO_AGENT);
  const timeoutMs = options.timeoutMs ?? DEFAULT_SSH_TIMEOUT_MS;
  // A recorded key type first: a host with several keys then shows the one we know, so that any
  // other key it shows can be a mismatch, never a new host.
  const serverHostKey = hostKeyAlgorithmsPreferring(options.knownHosts.recordedKeyTypes(target.host, target.port));
  const client = new ssh2.Client();
  let offered: HostKeyOffer | undefined;

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
      const offer = offered;
      if (!offer) {
        fail(sshError(target, "the host presented no host key"));
        return;
      }
      if (offer.check.verdict === "unknown" && options.unknownHost === "trust") {
        try {
          options.knownHosts.trust(target.host, target.port, offer.key);
        } catch (error) {
          fail(sshError(target, (error as Error).message));
          return;
        }
      }
      settled = true;
      clearTimeout(timer);
      // Tunnelled requests are small: Nagle with delayed ACKs would add ~40 ms to each (measured in bench/).
      client.setNoDelay(true);
      resolve({ client, fingerprint: offer.fingerprint, known: offer.check.verdict === "known" });
    });
    client.on("error", (error: Error & { level?: string; code?: string }) => {
      // An agent that does not answer is not fatal: ssh2 goes on with the next way to log in, and
      // if none is left the authentication failure below says what the agent lacked.
      if (error.level === "agent") return;
      if (error.level === "client-authentication" && !offered?.refusal) {
        // Which keys were tried decides what to do next: ask the agent, only now that it matters.
        void describeRefusedLogin(privateKey || !agent ? { keyPath: target.keyPath ?? "", user: target.user } : { agent }).then((reason) =>
          fail(sshError(target, reason)),
        );
        return;
      }
      fail(sshError(target, describeFailure(error, target, offered)));
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      ...(privateKey ? { privateKey, ...(target.passphrase ? { passphrase: target.passphrase } : {}) } : {}),
      ...(agent ? { agent } : {}),
      algorithms: { serverHostKey },
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        offered = offerOf(Buffer.from(key), target, options);
        return offered.refusal === undefined;
      },
    });
  });
}

/** The key a host offered, what the known hosts say of it, and why it is refused (if it is). */
interface HostKeyOffer {
  readonly key: Buffer;
  readonly keyType: string;
  readonly fingerprint: string;
  readonly check: HostKeyCheck;
  readonly refusal: "mismatch" | "revoked" | "unexpected" | "unrecorded" | undefined;
}

function offerOf(key: Buffer, target: SshTarget, options: SshConnectOptions): HostKeyOffer {
  const check = options.knownHosts.check(target.host, target.port, key);
  const fingerprint = fingerprintOf(key);
  const refusal =
    check.verdict === "mismatch" || check.verdict === "revoked"
      ? check.verdict
      : options.expectedFingerprint && options.expectedFingerprint !== fingerprint
        ? "unexpected"
        : check.verdict === "unknown" && options.unknownHost === "refuse"
          ? "unrecorded"
          : undefined;
  return { key, keyType: keyTypeOf(key), fingerprint, check, refusal };
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
  // The form shows the detail by its field, the CLI the message: the same sentence, said once.
  const refuse = (reason: string): RbeeError => {
    const message = `SSH key file ${keyPath} ${reason}`;
    return new RbeeError("INVALID_REQUEST", message, [{ field: "ssh_key_path", message }]);
  };
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
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw refuse(`does not exist: check the path, or give no key file to log in with your ssh-agent`);
    throw refuse(`cannot be read (${code ?? (error as Error).message}): check its permissions`);
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

/** Why a host key was refused, naming the key types recorded and offered. */
function describeRefusal(offered: HostKeyOffer, target: SshTarget): string {
  const shown = `an ${offered.keyType} key (${offered.fingerprint})`;
  const host = hostToken(target.host, target.port);
  switch (offered.refusal) {
    case "unexpected":
      return `host key mismatch: the host presents ${shown}, not the key you confirmed`;
    case "revoked":
      return `host key mismatch: the host presents a revoked key, ${shown}`;
    case "unrecorded":
      return (
        `host key not recorded: no key is recorded for ${host} and the host presents ${shown}; ` +
        "a connection rbee opens on its own never trusts a new key: install the node (or add it again) to confirm its key"
      );
    default: {
      const recorded = offered.check.recorded.map((entry) => `${entry.keyType} (in ${entry.file})`);
      return (
        `host key mismatch: the host presents ${shown}, but the key recorded for ${host} is ` +
        `${[...new Set(recorded)].join(", ")} (possible impersonation); remove the old key from known_hosts only if the host was reinstalled`
      );
    }
  }
}

function sshError(target: SshTarget, reason: string): RbeeError {
  return new RbeeError("SSH_FAILED", `SSH to ${target.user}@${target.host}:${target.port} failed: ${reason}`);
}

function describeFailure(error: Error & { level?: string; code?: string }, target: SshTarget, offered: HostKeyOffer | undefined): string {
  if (offered?.refusal) return describeRefusal(offered, target);
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
