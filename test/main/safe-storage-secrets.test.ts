import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Queen } from "../../src/core/queen.js";
import { SafeStorageSecrets, type Cipher } from "../../src/main/safe-storage-secrets.js";
import { AddNodeRequest, RbeeError } from "../../src/shared/contract/index.js";

// A test double of Electron's safeStorage (the Electron binary cannot run here): reversible, and
// visibly not plain text.
const safeStorageDouble = (available = true): Cipher => ({
  isEncryptionAvailable: () => available,
  encryptString: (plain) => Buffer.from(Buffer.from(plain, "utf8").map((byte) => byte ^ 0x5a)),
  decryptString: (encrypted) => Buffer.from(encrypted.map((byte) => byte ^ 0x5a)).toString("utf8"),
});

const AT = new Date("2026-05-04T03:02:01.000Z");
const ASIDE_SUFFIX = ".corrupt-2026-05-04T03-02-01-000Z";

let dir: string;
let file: string;
const logs: string[] = [];
const open = (cipher = safeStorageDouble()) => SafeStorageSecrets.open(file, cipher, (m) => logs.push(m), () => AT);
const stored = (): Record<string, string> => JSON.parse(readFileSync(file, "utf8"));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-secrets-"));
  file = join(dir, "secrets.json");
  logs.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("passphrases are stored encrypted (0600), survive a restart, and can be removed", async () => {
  const secrets = await open();
  secrets.set("mac", "correct horse battery staple");
  const onDisk = readFileSync(file, "utf8");
  expect(onDisk).not.toContain("correct horse");
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const reopened = await open();
  expect(reopened.get("mac")).toBe("correct horse battery staple");
  reopened.delete("mac");
  expect((await open()).get("mac")).toBeUndefined();
  expect(logs.join("\n")).not.toContain("correct horse");
});

test("without OS encryption nothing is written: the passphrase lasts for this session only", async () => {
  const secrets = await open(safeStorageDouble(false));
  expect(secrets.persistent).toBe(false);
  secrets.set("mac", "hunter2");
  expect(secrets.get("mac")).toBe("hunter2");
  expect(() => readFileSync(file)).toThrow();
  expect((await open(safeStorageDouble(false))).get("mac")).toBeUndefined();
  expect(logs).toEqual(["OS encryption is not available: the key passphrase is kept for this session only"]);
});

test("a ciphertext that no longer decrypts is dropped with a note, not a crash", async () => {
  (await open()).set("mac", "pw");
  const broken: Cipher = { ...safeStorageDouble(), decryptString: () => { throw new Error("keychain changed"); } };
  const secrets = await open(broken);
  expect(secrets.get("mac")).toBeUndefined();
  expect(logs[0]).toMatch(/cannot be decrypted any more/);
});

describe("a corrupt secrets file", () => {
  // What a torn or hand-edited file may hold; each once held the passphrases of other nodes.
  const corruptions: [string, string][] = [
    ["not JSON", '{"mac": "c2VjcmV0'],
    ["JSON of another shape", '["mac", "c2VjcmV0"]'],
    ["a value that is no ciphertext", '{"mac": 42}'],
  ];

  test.each(corruptions)("(%s) is kept aside, logged, and not overwritten by the next write", async (_what, corrupt) => {
    writeFileSync(file, corrupt, { mode: 0o600 });
    const secrets = await open();
    secrets.set("new-node", "pw");
    // The old bytes survive, byte for byte, next to the new file: nothing was silently wiped.
    expect(readdirSync(dir).sort(), "the corrupt file kept aside").toEqual(["secrets.json", `secrets.json${ASIDE_SUFFIX}`]);
    expect(readFileSync(`${file}${ASIDE_SUFFIX}`, "utf8")).toBe(corrupt);
    expect(statSync(`${file}${ASIDE_SUFFIX}`).mode & 0o777).toBe(0o600);
    expect(Object.keys(stored())).toEqual(["new-node"]);
    expect((await open()).get("new-node")).toBe("pw");
    expect(logs).toEqual([expect.stringContaining(`it was kept as ${file}${ASIDE_SUFFIX}`)]);
    expect(logs.join("\n")).not.toContain("c2VjcmV0");
  });

  test("is kept aside on a read too: the node's passphrase is asked for again", async () => {
    writeFileSync(file, "garbage", { mode: 0o600 });
    expect((await open()).get("mac")).toBeUndefined();
    expect(readdirSync(dir), "the corrupt file kept aside").toEqual([`secrets.json${ASIDE_SUFFIX}`]);
    expect(readFileSync(`${file}${ASIDE_SUFFIX}`, "utf8")).toBe("garbage");
    expect(logs[0]).toMatch(/is unusable \(it is not JSON\)/);
  });

  test("that cannot be moved aside is left as it is: the write is refused with a coded error", async () => {
    writeFileSync(file, "garbage", { mode: 0o600 });
    // The aside name is taken by a non-empty directory, so the rename fails.
    mkdirSync(join(`${file}${ASIDE_SUFFIX}`, "occupied"), { recursive: true });
    const secrets = await open();
    const error = (() => {
      try {
        secrets.set("new-node", "pw");
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RbeeError);
    expect(error).toMatchObject({ code: "INTERNAL", message: expect.stringMatching(/could not be moved aside.*nothing was written/) });
    expect(readFileSync(file, "utf8")).toBe("garbage");
    expect(readdirSync(dir).sort()).toEqual(["secrets.json", `secrets.json${ASIDE_SUFFIX}`]);
  });
});

test("removing a node through the Queen deletes its passphrase from the store and from the file", async () => {
  const home = join(dir, "home");
  const secrets = await open();
  const queen = new Queen({ home, secrets, userKnownHosts: [], sshAgent: "", sshTimeoutMs: 300 });
  try {
    const node = (name: string) =>
      AddNodeRequest.parse({ node_name: name, ssh_host: "rbee-test.invalid", ssh_user: "u", git_repo_url: "file:///tmp/r.git", install_path: "/tmp/x" });
    await queen.addNode(node("mac"), false);
    await queen.addNode(node("other"), false);
    // addNode keeps a passphrase only once SSH proved it (verify): stored here as that step would.
    secrets.set("mac", "mac-passphrase");
    secrets.set("other", "other-passphrase");
    expect(Object.keys(stored()).sort()).toEqual(["mac", "other"]);

    await queen.removeNode("mac");
    expect(queen.secrets.get("mac")).toBeUndefined();
    expect(Object.keys(stored())).toEqual(["other"]);
    // A restart (a fresh store on the same file) does not bring it back; the other node keeps its own.
    expect((await open()).get("mac")).toBeUndefined();
    expect((await open()).get("other")).toBe("other-passphrase");
  } finally {
    await queen.close();
  }
});
