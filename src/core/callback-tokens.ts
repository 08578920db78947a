import { createHash } from "node:crypto";
import { newSecret } from "./token.js";

/** Who a per-spawn token speaks for. */
export interface CallbackGrant {
  readonly workerId: string;
  readonly nodeName: string;
}

const digest = (token: string): string => createHash("sha256").update(token).digest("hex");

/**
 * Per-spawn tokens: the queen gives each worker it spawns its own token, which may register,
 * update and heartbeat only that worker. A leaked worker token cannot touch the rest of the API.
 * Tokens are looked up by their SHA-256, so a lookup reveals nothing about the secret itself.
 */
export class CallbackTokens {
  private readonly byDigest = new Map<string, CallbackGrant>();
  private readonly digestOf = new Map<string, string>();

  issue(workerId: string, nodeName: string): string {
    this.revoke(workerId);
    const token = newSecret();
    const key = digest(token);
    this.byDigest.set(key, { workerId, nodeName });
    this.digestOf.set(workerId, key);
    return token;
  }

  /** The grant a token carries, if any. */
  resolve(token: string): CallbackGrant | undefined {
    return this.byDigest.get(digest(token));
  }

  revoke(workerId: string): void {
    const key = this.digestOf.get(workerId);
    if (key === undefined) return;
    this.byDigest.delete(key);
    this.digestOf.delete(workerId);
  }
}
