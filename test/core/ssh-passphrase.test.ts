import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

const PASSPHRASE = "correct horse battery staple";
let dir: string;
let sshd: Sshd;
let keyPath: string;
const logs: string[] = [];

const start = (): Promise<QueenServer> =>
  startQueenServer({ home: join(dir, "queen"), host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: "", log: (m) => logs.push(m) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-passphrase-"));
  sshd = await startSshd();
  keyPath = join(dir, "encrypted_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", keyPath]);
  appendFileSync(join(sshd.dir, "authorized_keys"), readFileSync(`${keyPath}.pub`));
});
afterAll(async () => {
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const body = (extra: Record<string, unknown> = {}) => ({
  node_name: "locked", ssh_host: "127.0.0.1", ssh_port: sshd.port, ssh_user: sshd.user, ssh_key_path: keyPath,
  git_repo_url: "file:///tmp/rbee.git", install_path: "/tmp/rbee", ...extra,
});

test("an encrypted key: asked for, refused when wrong, used when right, never stored in plain text", async () => {
  const server = await start();
  try {
    const api = jsonClient(server.baseUrl, server.queen.token);
    const missing = await api.post("/v2/registry/beehives/add", body());
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([{ field: "ssh_key_path", message: "this key is encrypted: a passphrase is needed" }]);
    const wrong = await api.post("/v2/registry/beehives/add", body({ ssh_key_passphrase: "nope" }));
    expect(wrong.body.error.details).toEqual([{ field: "ssh_key_path", message: "the passphrase does not open this key" }]);
    const added = await api.post("/v2/registry/beehives/add", body({ ssh_key_passphrase: PASSPHRASE }));
    expect(added.status, logs.join("\n")).toBe(201);
    expect(JSON.stringify(added.body)).not.toContain(PASSPHRASE);
    // Later connections use the kept passphrase.
    const connection = await server.queen.fleet.connections.get("locked");
    expect((await connection.exec("echo ok")).stdout.trim()).toBe("ok");
    expect(JSON.stringify((await api.get("/v2/registry/beehives/list")).body)).not.toContain(PASSPHRASE);
  } finally {
    await server.close();
  }
  for (const file of readdirSync(join(dir, "queen"), { recursive: true }) as string[]) {
    const path = join(dir, "queen", file);
    try {
      expect(readFileSync(path).includes(PASSPHRASE), path).toBe(false);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EISDIR") throw error;
    }
  }
  expect(logs.join("\n")).not.toContain(PASSPHRASE);
});

test("a headless queen keeps passphrases in memory only: after a restart it asks again", async () => {
  const server = await start();
  try {
    await expect(server.queen.fleet.connections.get("locked", true)).rejects.toThrow(/passphrase is needed/);
  } finally {
    await server.close();
  }
});
