// Passphrases at rest: a key passphrase reaches the disk only encrypted by a real OS keyring.
// Linux's `basic_text` safeStorage backend (a key built into Chromium) counts as no encryption, and
// the asynchronous safeStorage API is used where Electron has it. Electron cannot run here, so a
// test double of safeStorage stands in for it; the store, the Queen, the HTTP API and SSH are real.
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { Queen } from "../../src/core/queen.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { SafeStorageSecrets, type Cipher } from "../../src/main/safe-storage-secrets.js";
import { jsonClient } from "../helpers/http-client.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

const PASSPHRASE = "correct horse battery staple";

interface DoubleOptions {
  /** What getSelectedStorageBackend answers (Linux); undefined: the method is absent (macOS, Windows). */
  readonly backend?: string | undefined;
  /** Electron 45's isAsyncEncryptionAvailable / encryptStringAsync / decryptStringAsync. */
  readonly asyncApi?: boolean;
  readonly available?: boolean;
  /** The key in use: ciphertexts under another one decrypt with shouldReEncrypt (a rotated key). */
  readonly key?: number;
}

/**
 * A test double of Electron's safeStorage. Its "encryption" is a XOR with a one-byte key written in
 * front (reversible, visibly not plain text); `calls` records which methods the store used.
 */
function safeStorageDouble({ backend, asyncApi = true, available = true, key = 0x5a }: DoubleOptions = {}): Cipher & { calls: string[] } {
  const calls: string[] = [];
  const encrypt = (plain: string): Buffer => Buffer.concat([Buffer.of(key), Buffer.from(plain, "utf8").map((byte) => byte ^ key)]);
  const decrypt = (encrypted: Buffer): { result: string; shouldReEncrypt: boolean } => {
    const used = encrypted[0] ?? 0;
    return { result: Buffer.from(encrypted.subarray(1).map((byte) => byte ^ used)).toString("utf8"), shouldReEncrypt: used !== key };
  };
  return {
    calls,
    // Electron documents basic_text as "available": the store must not trust that alone.
    isEncryptionAvailable: () => (calls.push("isEncryptionAvailable"), available),
    encryptString: (plain) => (calls.push("encryptString"), encrypt(plain)),
    decryptString: (encrypted) => (calls.push("decryptString"), decrypt(encrypted).result),
    ...(backend !== undefined ? { getSelectedStorageBackend: () => backend } : {}),
    ...(asyncApi
      ? {
          isAsyncEncryptionAvailable: async () => (calls.push("isAsyncEncryptionAvailable"), available),
          encryptStringAsync: async (plain: string) => (calls.push("encryptStringAsync"), encrypt(plain)),
          decryptStringAsync: async (encrypted: Buffer) => (calls.push("decryptStringAsync"), decrypt(encrypted)),
        }
      : {}),
  };
}

let dir: string;
let file: string;
const logs: string[] = [];
const log = (message: string): void => void logs.push(message);
const open = (cipher: Cipher): Promise<SafeStorageSecrets> => SafeStorageSecrets.open(file, cipher, log);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-passphrase-at-rest-"));
  file = join(dir, "secrets.json");
  logs.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the basic_text backend (Linux without a keyring) is no encryption", () => {
  test.each([
    ["with the async API", true],
    ["with the sync API only", false],
  ])("%s: nothing is written, the passphrase serves this session, and a notice says so", async (_what, asyncApi) => {
    const safeStorage = safeStorageDouble({ backend: "basic_text", asyncApi });
    const secrets = await open(safeStorage);
    expect(secrets.persistent).toBe(false);

    secrets.set("mac", PASSPHRASE);
    await secrets.flush();
    expect(secrets.get("mac")).toBe(PASSPHRASE);
    expect(readdirSync(dir), "nothing on disk").toEqual([]);
    expect(safeStorage.calls.filter((call) => call.startsWith("encrypt"))).toEqual([]);
    expect(logs).toEqual([expect.stringMatching(/basic_text backend.*kept for this session only$/)]);
    expect((await open(safeStorage)).get("mac"), "gone after a restart").toBeUndefined();
  });
});

describe("a real keyring", () => {
  test.each(["gnome_libsecret", "kwallet", "kwallet5", "kwallet6"])(
    "(%s) gets the passphrase encrypted with the async API, written 0600, and read back after a restart",
    async (backend) => {
      const safeStorage = safeStorageDouble({ backend });
      const secrets = await open(safeStorage);
      expect(secrets.persistent).toBe(true);
      secrets.set("mac", PASSPHRASE);
      await secrets.flush();

      const onDisk = readFileSync(file);
      expect(onDisk.includes(PASSPHRASE)).toBe(false);
      expect(Object.keys(JSON.parse(onDisk.toString("utf8")))).toEqual(["mac"]);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await open(safeStorage)).get("mac")).toBe(PASSPHRASE);
      // Electron 45 has the async API: the deprecated synchronous calls are never made.
      expect(safeStorage.calls).toEqual([
        "isAsyncEncryptionAvailable",
        "encryptStringAsync",
        "isAsyncEncryptionAvailable",
        "decryptStringAsync",
      ]);
      expect(logs).toEqual([]);
    },
  );

  test("without the async API (an older Electron), the sync API encrypts", async () => {
    const safeStorage = safeStorageDouble({ backend: "gnome_libsecret", asyncApi: false });
    (await open(safeStorage)).set("mac", PASSPHRASE);
    expect(readFileSync(file).includes(PASSPHRASE)).toBe(false);
    expect((await open(safeStorage)).get("mac")).toBe(PASSPHRASE);
    expect(safeStorage.calls).toEqual(["isEncryptionAvailable", "encryptString", "isEncryptionAvailable", "decryptString"]);
  });

  test("on macOS and Windows (no backend name to ask) the keychain is trusted", async () => {
    const secrets = await open(safeStorageDouble({ backend: undefined }));
    secrets.set("mac", PASSPHRASE);
    await secrets.flush();
    expect(secrets.persistent).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")))).toEqual(["mac"]);
  });

  test("that the async API reports unavailable keeps the passphrase for this session only", async () => {
    const secrets = await open(safeStorageDouble({ backend: "gnome_libsecret", available: false }));
    secrets.set("mac", PASSPHRASE);
    await secrets.flush();
    expect(secrets.persistent).toBe(false);
    expect(secrets.get("mac")).toBe(PASSPHRASE);
    expect(readdirSync(dir)).toEqual([]);
    expect(logs).toEqual(["OS encryption is not available: the key passphrase is kept for this session only"]);
  });

  test("a ciphertext under a rotated key is stored again under the new one", async () => {
    const before = await open(safeStorageDouble({ backend: "kwallet6", key: 0x11 }));
    before.set("mac", PASSPHRASE);
    await before.flush();
    const old = JSON.parse(readFileSync(file, "utf8")).mac as string;

    const after = await open(safeStorageDouble({ backend: "kwallet6", key: 0x22 }));
    await after.flush();
    expect(after.get("mac")).toBe(PASSPHRASE);
    const renewed = JSON.parse(readFileSync(file, "utf8")).mac as string;
    expect(renewed).not.toBe(old);
    expect(Buffer.from(renewed, "base64")[0]).toBe(0x22);
  });

  test("background writes keep their order: a passphrase set then deleted stays deleted", async () => {
    const secrets = await open(safeStorageDouble({ backend: "gnome_libsecret" }));
    secrets.set("mac", PASSPHRASE);
    secrets.set("other", "other-passphrase");
    secrets.delete("mac");
    await secrets.flush();
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")))).toEqual(["other"]);
    expect((await open(safeStorageDouble({ backend: "gnome_libsecret" }))).get("mac")).toBeUndefined();
  });
});

describe("through the queen, over real SSH with an encrypted key", () => {
  let sshd: Sshd;
  let keyDir: string;
  let keyPath: string;
  beforeAll(async () => {
    sshd = await startSshd();
    keyDir = mkdtempSync(join(tmpdir(), "rbee-passphrase-key-"));
    keyPath = join(keyDir, "encrypted_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", keyPath]);
    appendFileSync(join(sshd.dir, "authorized_keys"), readFileSync(`${keyPath}.pub`));
  });
  afterAll(async () => {
    await sshd?.dispose();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const start = (secrets: SafeStorageSecrets): Promise<QueenServer> =>
    startQueenServer({ home: join(dir, "queen"), host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: "", secrets, log });
  const node = {
    node_name: "locked",
    ssh_port: 0,
    ssh_host: "127.0.0.1",
    git_repo_url: "file:///tmp/rbee.git",
    install_path: "/tmp/rbee",
  };
  const addLocked = async (server: QueenServer): Promise<number> => {
    const api = jsonClient(server.baseUrl, server.queen.token);
    const body = { ...node, ssh_port: sshd.port, ssh_user: sshd.user, ssh_key_path: keyPath, ssh_key_passphrase: PASSPHRASE };
    return (await api.post("/v2/registry/beehives/add", body)).status;
  };
  const connects = async (server: QueenServer): Promise<string> =>
    (await (await server.queen.fleet.connections.get("locked", true)).exec("echo ok")).stdout.trim();
  const filesHolding = (text: string): string[] =>
    (readdirSync(dir, { recursive: true }) as string[]).filter((name) => {
      try {
        return readFileSync(join(dir, name)).includes(text);
      } catch {
        return false; // a directory
      }
    });

  test("basic_text: the node works this session, and the passphrase is in no file", async () => {
    const secrets = await open(safeStorageDouble({ backend: "basic_text" }));
    const server = await start(secrets);
    try {
      expect(await addLocked(server), logs.join("\n")).toBe(201);
      expect(await connects(server)).toBe("ok");
      await secrets.flush();
    } finally {
      await server.close();
    }
    expect(readdirSync(dir)).not.toContain("secrets.json");
    expect(filesHolding(PASSPHRASE)).toEqual([]);
    expect(logs).toContain(
      "OS encryption is not available (safeStorage would use its basic_text backend, a key built into Chromium rather than an OS keyring): the key passphrase is kept for this session only",
    );
  });

  test("gnome_libsecret: encrypted on disk, and a restarted queen connects without asking again", async () => {
    const first = await open(safeStorageDouble({ backend: "gnome_libsecret" }));
    const server = await start(first);
    try {
      expect(await addLocked(server), logs.join("\n")).toBe(201);
      await first.flush();
    } finally {
      await server.close();
    }
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")))).toEqual(["locked"]);
    expect(filesHolding(PASSPHRASE)).toEqual([]);

    // The restarted queen, not started: its rediscovery would dial the node on its own, racing close.
    const restarted = new Queen({ home: join(dir, "queen"), secrets: await open(safeStorageDouble({ backend: "gnome_libsecret" })), userKnownHosts: [], sshAgent: "", log });
    try {
      expect(await (await restarted.fleet.connections.get("locked", true)).exec("echo ok")).toMatchObject({ stdout: "ok\n" });
    } finally {
      await restarted.close();
    }
  });
});
