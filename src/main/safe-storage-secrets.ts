import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { SecretStore } from "../core/secrets.js";

/** The part of Electron's `safeStorage` this store uses (injectable, so it is testable without Electron). */
export interface Cipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * Key passphrases encrypted with the OS keychain (Electron's safeStorage) in one file of
 * base64 ciphertexts (mode 0600). Without OS encryption nothing is written: secrets then last for
 * this session only and are asked for again next time.
 */
export class SafeStorageSecrets implements SecretStore {
  private readonly session = new Map<string, string>();

  constructor(
    private readonly file: string,
    private readonly cipher: Cipher,
    private readonly log: (message: string) => void,
  ) {}

  get persistent(): boolean {
    return this.cipher.isEncryptionAvailable();
  }

  get(nodeName: string): string | undefined {
    const held = this.session.get(nodeName);
    if (held !== undefined || !this.persistent) return held;
    const encrypted = this.read()[nodeName];
    if (encrypted === undefined) return undefined;
    try {
      return this.cipher.decryptString(Buffer.from(encrypted, "base64"));
    } catch {
      this.log(`the stored passphrase for ${nodeName} cannot be decrypted any more; it will be asked for again`);
      return undefined;
    }
  }

  set(nodeName: string, passphrase: string): void {
    this.session.set(nodeName, passphrase);
    if (!this.persistent) {
      this.log("OS encryption is not available: the key passphrase is kept for this session only");
      return;
    }
    const all = this.read();
    all[nodeName] = this.cipher.encryptString(passphrase).toString("base64");
    this.write(all);
  }

  delete(nodeName: string): void {
    this.session.delete(nodeName);
    const all = this.read();
    if (!(nodeName in all)) return;
    delete all[nodeName];
    this.write(all);
  }

  private read(): Record<string, string> {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, "utf8"));
      return parsed && typeof parsed === "object" ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  private write(all: Record<string, string>): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(all)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
