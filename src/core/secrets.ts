/**
 * Where SSH key passphrases live. The desktop app keeps them encrypted with the OS keychain
 * (Electron's safeStorage); a headless queen keeps them in memory only, so they are asked for again
 * after a restart. Never in the registry, never in a log, never sent back to a client.
 */
export interface SecretStore {
  get(nodeName: string): string | undefined;
  set(nodeName: string, passphrase: string): void;
  delete(nodeName: string): void;
  /** True when secrets survive a restart (encrypted at rest). */
  readonly persistent: boolean;
}

/** The headless fallback: secrets live only as long as this process. */
export class MemorySecrets implements SecretStore {
  private readonly secrets = new Map<string, string>();
  readonly persistent = false;

  get(nodeName: string): string | undefined {
    return this.secrets.get(nodeName);
  }

  set(nodeName: string, passphrase: string): void {
    this.secrets.set(nodeName, passphrase);
  }

  delete(nodeName: string): void {
    this.secrets.delete(nodeName);
  }
}
