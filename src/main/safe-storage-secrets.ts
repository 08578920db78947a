import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { RbeeError } from "../shared/contract/index.js";
import type { SecretStore } from "../core/secrets.js";

/**
 * The part of Electron's `safeStorage` this store uses (injectable, so it is testable without
 * Electron). The asynchronous API and the name of the Linux backend are used where the Electron
 * version has them (Electron 45 has both; the synchronous API is deprecated there).
 */
export interface Cipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which password store holds the key. */
  getSelectedStorageBackend?(): string;
  isAsyncEncryptionAvailable?(): Promise<boolean>;
  encryptStringAsync?(plain: string): Promise<Buffer>;
  decryptStringAsync?(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
}

/** Electron's asynchronous safeStorage API (Electron 45 and later). */
type AsyncCipher = Required<Pick<Cipher, "isAsyncEncryptionAvailable" | "encryptStringAsync" | "decryptStringAsync">>;

function hasAsyncApi(cipher: Cipher): cipher is Cipher & AsyncCipher {
  return (
    typeof cipher.isAsyncEncryptionAvailable === "function" &&
    typeof cipher.encryptStringAsync === "function" &&
    typeof cipher.decryptStringAsync === "function"
  );
}

/** How passphrases are kept, decided once when the store opens. */
type Protection =
  | { readonly kind: "session"; readonly notice: string }
  | { readonly kind: "sync" }
  | { readonly kind: "async"; readonly cipher: AsyncCipher };

type Ciphertexts = Record<string, string>;

const NOT_AVAILABLE = "OS encryption is not available: the key passphrase is kept for this session only";
const BASIC_TEXT =
  "OS encryption is not available (safeStorage would use its basic_text backend, a key built into Chromium rather than an OS keyring): the key passphrase is kept for this session only";

async function protectionOf(cipher: Cipher): Promise<Protection> {
  const protection: Protection = hasAsyncApi(cipher) ? { kind: "async", cipher } : { kind: "sync" };
  const available = hasAsyncApi(cipher) ? await cipher.isAsyncEncryptionAvailable() : cipher.isEncryptionAvailable();
  if (!available) return { kind: "session", notice: NOT_AVAILABLE };
  // On Linux without a keyring Chromium falls back to `basic_text`: a key hardcoded in every copy of
  // Chromium, so anyone who can read the file can decrypt it. That is not encryption at rest.
  const backend = typeof cipher.getSelectedStorageBackend === "function" ? cipher.getSelectedStorageBackend() : undefined;
  if (backend === "basic_text") return { kind: "session", notice: BASIC_TEXT };
  // Only before app ready (the queen starts after it): nothing then tells that it is not basic_text.
  if (backend === "unknown") return { kind: "session", notice: NOT_AVAILABLE };
  return protection;
}

/**
 * Key passphrases encrypted with the OS keychain (Electron's safeStorage) in one file of
 * base64 ciphertexts (mode 0600), decrypted once when the store opens. Without OS encryption
 * (including Linux's basic_text fallback) nothing is written: secrets then last for this session
 * only and are asked for again next time. With the asynchronous API, writes happen in order in the
 * background (`flush` waits for them). A file that cannot be read as such is never overwritten: it
 * is kept aside as `<file>.corrupt-<time>` first, or nothing is written.
 */
export class SafeStorageSecrets implements SecretStore {
  private readonly session = new Map<string, string>();
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly cipher: Cipher,
    private readonly log: (message: string) => void,
    private readonly now: () => Date,
    private readonly protection: Protection,
  ) {}

  /** Opens the store: decides how passphrases are protected and decrypts the stored ones. */
  static async open(
    file: string,
    cipher: Cipher,
    log: (message: string) => void,
    now: () => Date = () => new Date(),
  ): Promise<SafeStorageSecrets> {
    const store = new SafeStorageSecrets(file, cipher, log, now, await protectionOf(cipher));
    await store.load();
    return store;
  }

  get persistent(): boolean {
    return this.protection.kind !== "session";
  }

  get(nodeName: string): string | undefined {
    return this.session.get(nodeName);
  }

  set(nodeName: string, passphrase: string): void {
    this.session.set(nodeName, passphrase);
    const { protection } = this;
    switch (protection.kind) {
      case "session":
        this.log(protection.notice);
        return;
      case "sync":
        this.store(nodeName, this.cipher.encryptString(passphrase));
        return;
      case "async":
        this.enqueue(async () => this.store(nodeName, await protection.cipher.encryptStringAsync(passphrase)));
    }
  }

  delete(nodeName: string): void {
    this.session.delete(nodeName);
    // Also without OS encryption: a passphrase an earlier run wrote must not outlive its node.
    if (this.protection.kind === "async") this.enqueue(() => this.remove(nodeName));
    else this.remove(nodeName);
  }

  /** Resolves once every write started so far is on disk (or was logged as failed). */
  flush(): Promise<void> {
    return this.pending;
  }

  private async load(): Promise<void> {
    const { protection } = this;
    if (protection.kind === "session") return;
    let all: Ciphertexts;
    try {
      all = this.read();
    } catch (error) {
      // A file that could not be kept aside: its passphrases are asked for again, nothing is lost.
      this.log((error as Error).message);
      return;
    }
    for (const [nodeName, encrypted] of Object.entries(all)) {
      const bytes = Buffer.from(encrypted, "base64");
      try {
        if (protection.kind === "sync") {
          this.session.set(nodeName, this.cipher.decryptString(bytes));
          continue;
        }
        const { result, shouldReEncrypt } = await protection.cipher.decryptStringAsync(bytes);
        this.session.set(nodeName, result);
        // The key was rotated or a stronger one is available: store it under the new one.
        if (shouldReEncrypt) this.enqueue(async () => this.store(nodeName, await protection.cipher.encryptStringAsync(result)));
      } catch {
        this.log(`the stored passphrase for ${nodeName} cannot be decrypted any more; it will be asked for again`);
      }
    }
  }

  /** Runs `task` after the writes before it; a failure is logged (a passphrase is then asked for again). */
  private enqueue(task: () => void | Promise<void>): void {
    this.pending = this.pending.then(task).catch((error: unknown) => {
      this.log(`the key passphrase could not be stored: ${(error as Error)?.message ?? String(error)}`);
    });
  }

  private store(nodeName: string, encrypted: Buffer): void {
    const all = this.read();
    all[nodeName] = encrypted.toString("base64");
    this.write(all);
  }

  private remove(nodeName: string): void {
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
