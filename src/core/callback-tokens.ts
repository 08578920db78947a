import { createHash } from "node:crypto";
import { newSecret } from "../node-common/secrets.js";

/** Who a per-spawn token speaks for. */
export interface CallbackGrant {
  /** The one worker this token speaks for; null for a hive's node token (the workers of its node only). */
  readonly workerId: string | null;
  readonly nodeName: string;
}

const digest = (token: string): string => createHash("sha256").update(token).digest("hex");

/**
 * Per-spawn tokens: the queen gives each worker it spawns its own token, which may register,
 * update and heartbeat only that worker. A node token (each hive's) may do so only for its node's
 * workers (Queen.registerWorker, assertMayActFor). A leaked token cannot touch the rest of the API.
 * Tokens are looked up by their SHA-256, so a lookup reveals nothing about the secret itself.
 */
export class CallbackTokens {
  private readonly byDigest = new Map<string, CallbackGrant>();
  private readonly digestOf = new Map<string, string>();

  /** A token for one worker. */
  issue(workerId: string, nodeName: string): string {
    return this.grant(`worker:${workerId}`, { workerId, nodeName });
  }

  /** A token for a node's hive, which relays the callbacks of every worker on that node. */
  issueForNode(nodeName: string): string {
    return this.grant(`node:${nodeName}`, { workerId: null, nodeName });
  }

  /** The grant a token carries, if any. */
  resolve(token: string): CallbackGrant | undefined {
    return this.byDigest.get(digest(token));
  }

  /** Whether a per-spawn token speaks for this worker (then only that token may register it). */
  hasWorkerToken(workerId: string): boolean {
    return this.digestOf.has(`worker:${workerId}`);
  }

  revoke(workerId: string): void {
    this.drop(`worker:${workerId}`);
  }

  revokeNode(nodeName: string): void {
    this.drop(`node:${nodeName}`);
  }

  private grant(holder: string, grant: CallbackGrant): string {
    this.drop(holder);
    const token = newSecret();
    const key = digest(token);
    this.byDigest.set(key, grant);
    this.digestOf.set(holder, key);
    return token;
  }

  private drop(holder: string): void {
    const key = this.digestOf.get(holder);
    if (key === undefined) return;
    this.byDigest.delete(key);
    this.digestOf.delete(holder);
  }
}
