import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { RbeeError } from "../shared/contract/index.js";
import type { SecretStore } from "../core/secrets.js";

/** The part of Electron's `safeStorage` this store uses (injectable, so it is testable without Electron). */
export interface Cipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

type Ciphertexts = Record<string, string>;

/**
 * Key passphrases encrypted with the OS keychain (Electron's safeStorage) in one file of
 * base64 ciphertexts (mode 0600). Without OS encryption nothing is written: secrets then last for
 * this session only and are asked for again next time. A file that cannot be read as such is
 * never overwritten: it is kept aside as `<file>.corrupt-<time>` first, or nothing is written.
 */
export class SafeStorageSecrets implements SecretStore {
  private readonly session = new Map<string, string>();

  constructor(
    private readonly file: string,
    private readonly cipher: Cipher,
    private readonly log: (message: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get persistent(): boolean {
    return this.cipher.isEncryptionAvailable();
  }

  get(nodeName: string): string | undefined {
    const held = this.session.get(nodeName);
    if (held !== undefined || !this.persistent) return held;
    let all: Ciphertexts;
    try {
      all = this.read();
    } catch (error) {
      // A file that could not be kept aside: this passphrase is asked for again, nothing is lost.
      this.log((error as Error).message);
      return undefined;
    }
    const encrypted = all[nodeName];
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

  /** The stored ciphertexts; {} when there is no file yet. A corrupt file is moved aside first. */
  private read(): Ciphertexts {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      return this.setAside(`it cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.setAside("it is not JSON");
    }
    const isCiphertexts =
      typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((value) => typeof value === "string");
    return isCiphertexts ? (parsed as Ciphertexts) : this.setAside("it is not a map of node names to ciphertexts");
  }

  /**
   * Keeps an unreadable file for recovery instead of letting the next write replace it (which would
   * lose every passphrase in it); throws when it cannot be moved, so that nothing is written.
   */
  private setAside(why: string): Ciphertexts {
    const aside = `${this.file}.corrupt-${this.now().toISOString().replace(/[:.]/g, "-")}`;
    try {
      renameSync(this.file, aside);
    } catch (error) {
      throw new RbeeError(
        "INTERNAL",
        `The secrets file ${this.file} is unusable (${why}) and could not be moved aside (${(error as Error).message}); it was left as it is and nothing was written`,
      );
    }
    this.log(`the secrets file ${this.file} is unusable (${why}); it was kept as ${aside} and its passphrases will be asked for again`);
    return {};
  }

  private write(all: Ciphertexts): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(all)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
