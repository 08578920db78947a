import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { SafeStorageSecrets, type Cipher } from "../../src/main/safe-storage-secrets.js";

// A stand-in for the OS keychain (which cannot exist here): reversible, and visibly not plain text.
const fakeKeychain = (available = true): Cipher => ({
  isEncryptionAvailable: () => available,
  encryptString: (plain) => Buffer.from(Buffer.from(plain, "utf8").map((byte) => byte ^ 0x5a)),
  decryptString: (encrypted) => Buffer.from(encrypted.map((byte) => byte ^ 0x5a)).toString("utf8"),
});

let dir: string;
let file: string;
const logs: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-secrets-"));
  file = join(dir, "secrets.json");
  logs.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("passphrases are stored encrypted (0600), survive a restart, and can be removed", () => {
  const secrets = new SafeStorageSecrets(file, fakeKeychain(), (m) => logs.push(m));
  secrets.set("mac", "correct horse battery staple");
  const onDisk = readFileSync(file, "utf8");
  expect(onDisk).not.toContain("correct horse");
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const reopened = new SafeStorageSecrets(file, fakeKeychain(), (m) => logs.push(m));
  expect(reopened.get("mac")).toBe("correct horse battery staple");
  reopened.delete("mac");
  expect(new SafeStorageSecrets(file, fakeKeychain(), () => {}).get("mac")).toBeUndefined();
  expect(logs.join("\n")).not.toContain("correct horse");
});

test("without OS encryption nothing is written: the passphrase lasts for this session only", () => {
  const secrets = new SafeStorageSecrets(file, fakeKeychain(false), (m) => logs.push(m));
  expect(secrets.persistent).toBe(false);
  secrets.set("mac", "hunter2");
  expect(secrets.get("mac")).toBe("hunter2");
  expect(() => readFileSync(file)).toThrow();
  expect(new SafeStorageSecrets(file, fakeKeychain(false), () => {}).get("mac")).toBeUndefined();
  expect(logs).toEqual(["OS encryption is not available: the key passphrase is kept for this session only"]);
});

test("a ciphertext that no longer decrypts is dropped with a note, not a crash", () => {
  new SafeStorageSecrets(file, fakeKeychain(), () => {}).set("mac", "pw");
  const broken: Cipher = { ...fakeKeychain(), decryptString: () => { throw new Error("keychain changed"); } };
  const secrets = new SafeStorageSecrets(file, broken, (m) => logs.push(m));
  expect(secrets.get("mac")).toBeUndefined();
  expect(logs[0]).toMatch(/cannot be decrypted any more/);
});
