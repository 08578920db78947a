import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Queen } from "../../src/core/queen.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { fingerprintOf } from "../../src/core/ssh/known-hosts.js";
import { jsonClient } from "../helpers/http-client.js";
import { readStreamEvents } from "../helpers/sse.js";
import { startSshd, type HostKeyType, type Sshd } from "../helpers/sshd.js";
import { until } from "../helpers/until.js";

// A man in the middle (or whoever takes over a node's port) offers a key of another type than the
// one recorded. Each sshd is one "machine" on its own loopback port.
let dir: string;
let home: string;
let userKnownHosts: string;
let server: QueenServer;
let api: ReturnType<typeof jsonClient>;
let victim: Sshd; // added with ed25519, then taken over by an ECDSA-only impostor
let fresh: Sshd; // never recorded, ECDSA only
let unverified: Sshd; // added with ?verify=false
let multi: Sshd; // offers ed25519 and ECDSA; the user's known_hosts records its ECDSA key
let racing: Sshd; // added with ?verify=false, dialled by the user while a background dial is under way

const knownHostsFile = (): string => join(home, "known_hosts");
const ownKnownHosts = (): Buffer => (existsSync(knownHostsFile()) ? readFileSync(knownHostsFile()) : Buffer.alloc(0));
const logs: string[] = [];
const nodeBody = (name: string, sshd: Sshd, over: Record<string, unknown> = {}) => ({
  node_name: name,
  ssh_host: sshd.host,
  ssh_port: sshd.port,
  ssh_user: sshd.user,
  ssh_key_path: sshd.keyPath,
  git_repo_url: "file:///nonexistent/rbee.git",
  install_path: join(dir, "nodes", name),
  ...over,
});
const status = (name: string): string | undefined => server.queen.beehives.get(name)?.status;
const fingerprintOfPub = (sshd: Sshd, type: HostKeyType): string =>
  fingerprintOf(Buffer.from(sshd.hostPublicKey(type).split(" ")[1] ?? "", "base64"));
/** The user's install of a node, over the API: its last stream event. */
const install = async (name: string): Promise<unknown> => {
  const response = await fetch(`${server.baseUrl}/v2/registry/beehives/install`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.queen.token}`, "content-type": "application/json" },
    body: JSON.stringify({ node_name: name }),
  });
  return (await readStreamEvents(response)).events.at(-1);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-host-key-"));
  home = join(dir, "queen");
  userKnownHosts = join(dir, "user_known_hosts");
  writeFileSync(userKnownHosts, "");
  [victim, fresh, unverified, multi, racing] = await Promise.all([
    startSshd({ hostKeys: ["ed25519"] }),
    startSshd({ hostKeys: ["ecdsa"] }),
    startSshd(),
    startSshd({ hostKeys: ["ed25519", "ecdsa"] }),
    startSshd(),
  ]);
  server = await startQueenServer({
    home,
    host: "127.0.0.1",
    port: 0,
    sshTimeoutMs: 5_000,
    userKnownHosts: [userKnownHosts],
    sshAgent: "",
    // No health round during the test: each background connection below is one the test starts or causes.
    healthIntervalMs: 3_600_000,
    log: (message) => logs.push(message),
  });
  api = jsonClient(server.baseUrl, server.queen.token);
});
afterAll(async () => {
  await server?.close();
  await Promise.all([victim, fresh, unverified, multi, racing].map((sshd) => sshd?.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

describe("host keys cannot be downgraded", () => {
  test("a node recorded with ed25519 whose port now offers only ECDSA: the reconnect is refused, known_hosts unchanged, the node unreachable", async () => {
    const tested = await api.post("/v2/registry/beehives/test", nodeBody("victim", victim));
    expect(tested.body).toMatchObject({ known: false, host_key_fingerprint: fingerprintOfPub(victim, "ed25519") });
    const added = await api.post("/v2/registry/beehives/add", { ...nodeBody("victim", victim), expected_host_key_fingerprint: tested.body.host_key_fingerprint });
    expect(added.status).toBe(201);
    expect(added.body.node.status).toBe("reachable");
    expect(ownKnownHosts().toString()).toContain(`[127.0.0.1]:${victim.port} ssh-ed25519 `);
    // The queen holds a live connection to the node, as it does while the node is in use.
    const connection = await server.queen.fleet.connections.get("victim");
    expect((await connection.exec("echo ok")).stdout).toBe("ok\n");
    const before = ownKnownHosts();

    // The impostor: sshd on the same port with only an ECDSA host key; the old session drops.
    await victim.useHostKeys(["ecdsa"], { dropSessions: true });
    // The drop starts a background reconnect at once (no health round is due).
    await until(() => status("victim") === "unreachable", "the victim node to be unreachable");

    const hostKeyMessage = new RegExp(
      `host key mismatch: the host presents an ecdsa-sha2-nistp256 key \\(${fingerprintOfPub(victim, "ecdsa").replace(/[+/]/g, "\\$&")}\\), ` +
        `but the key recorded for \\[127\\.0\\.0\\.1\\]:${victim.port} is ssh-ed25519 \\(in ${knownHostsFile()}\\)`,
    );
    // The reconnect's own failure (kept for its backoff), then the user's retry: both refused.
    await expect(server.queen.fleet.connections.get("victim")).rejects.toMatchObject({ code: "SSH_FAILED", message: expect.stringMatching(hostKeyMessage) });
    await expect(server.queen.fleet.connections.get("victim", true)).rejects.toMatchObject({ code: "SSH_FAILED", message: expect.stringMatching(hostKeyMessage) });
    expect(await install("victim")).toMatchObject({ type: "error", code: "SSH_FAILED", message: expect.stringMatching(hostKeyMessage) });
    // Neither test nor add under another name lets the new key in.
    for (const path of ["/v2/registry/beehives/test", "/v2/registry/beehives/add"]) {
      const answer = await api.post(path, nodeBody("victim-again", victim));
      expect(answer.status).toBe(502);
      expect(answer.body.error).toMatchObject({ code: "SSH_FAILED", message: expect.stringMatching(hostKeyMessage) });
    }
    expect(ownKnownHosts().equals(before)).toBe(true);
    expect(status("victim")).toBe("unreachable");
    expect(server.queen.beehives.get("victim-again")).toBeUndefined();
  });

  test("a fresh node (never recorded) that the user adds still trusts on first use", async () => {
    const before = ownKnownHosts().toString();
    const tested = await api.post("/v2/registry/beehives/test", nodeBody("fresh", fresh));
    expect(tested.body).toMatchObject({ ok: true, known: false, host_key_fingerprint: fingerprintOfPub(fresh, "ecdsa") });
    const added = await api.post("/v2/registry/beehives/add", { ...nodeBody("fresh", fresh), expected_host_key_fingerprint: tested.body.host_key_fingerprint });
    expect(added.status).toBe(201);
    const [, ecdsaKey] = fresh.hostPublicKey("ecdsa").split(" ");
    expect(ownKnownHosts().toString()).toBe(`${before}[127.0.0.1]:${fresh.port} ecdsa-sha2-nistp256 ${ecdsaKey}\n`);
    expect((await api.post("/v2/registry/beehives/test", nodeBody("fresh", fresh))).body).toMatchObject({ known: true });
    // The pinned key lets background connections in.
    expect((await (await server.queen.fleet.connections.get("fresh")).exec("echo ok")).stdout).toBe("ok\n");
  });

  test("a host with several keys presents the recorded one (here ECDSA, hashed in the user's known_hosts); another type is a mismatch", async () => {
    const [ecdsaType, ecdsaKey] = multi.hostPublicKey("ecdsa").split(" ");
    writeFileSync(userKnownHosts, `[127.0.0.1]:${multi.port} ${ecdsaType} ${ecdsaKey}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", userKnownHosts], { stdio: "pipe" });
    const before = ownKnownHosts();
    // ssh2 alone would ask for ed25519 first; the recorded ECDSA key is asked for instead.
    const tested = await api.post("/v2/registry/beehives/test", nodeBody("multi", multi));
    expect(tested.body).toMatchObject({ ok: true, known: true, host_key_fingerprint: fingerprintOfPub(multi, "ecdsa") });
    expect((await api.post("/v2/registry/beehives/add", nodeBody("multi", multi))).status).toBe(201);
    expect(ownKnownHosts().equals(before)).toBe(true);

    await multi.useHostKeys(["ed25519"]);
    const answer = await api.post("/v2/registry/beehives/test", nodeBody("multi", multi));
    expect(answer.status).toBe(502);
    expect(answer.body.error.message).toMatch(
      new RegExp(`host key mismatch: the host presents an ssh-ed25519 key .* is ecdsa-sha2-nistp256 \\(in ${userKnownHosts}\\)`),
    );
    expect(ownKnownHosts().equals(before)).toBe(true);
  });

  test("?verify=false: a background connection records no key and is refused; the user's first install trusts on first use", async () => {
    const added = await api.post("/v2/registry/beehives/add?verify=false", nodeBody("unverified", unverified));
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ node: { status: "unknown" }, host_key_fingerprint: null });
    const before = ownKnownHosts();

    // A health check (what the monitor and a dropped connection run) connects in the background.
    await server.queen.fleet.checkNode(server.queen.beehives.require("unverified"));
    await expect(server.queen.fleet.connections.get("unverified")).rejects.toMatchObject({
      code: "SSH_FAILED",
      message: expect.stringMatching(new RegExp(`host key not recorded: no key is recorded for \\[127\\.0\\.0\\.1\\]:${unverified.port} and the host presents an ssh-ed25519 key`)),
    });
    expect(ownKnownHosts().equals(before)).toBe(true);
    expect(status("unverified")).toBe("unknown");

    // The user's install connects (trusting the key it meets) and only then fails on the missing repository.
    expect(await install("unverified")).toMatchObject({ type: "error", code: "INSTALL_FAILED" });
    const [, key] = unverified.hostPublicKey("ed25519").split(" ");
    expect(ownKnownHosts().toString()).toBe(`${before.toString()}[127.0.0.1]:${unverified.port} ssh-ed25519 ${key}\n`);
    expect(status("unverified")).toBe("reachable");
  });

  test("a user's connection that meets a background one under way gets its own try, which may trust on first use", async () => {
    expect((await api.post("/v2/registry/beehives/add?verify=false", nodeBody("racing", racing))).status).toBe(201);
    const before = ownKnownHosts().toString();
    const background = server.queen.fleet.connections.get("racing");
    const byUser = server.queen.fleet.connections.get("racing", true);
    await expect(background).rejects.toMatchObject({ message: expect.stringMatching(/host key not recorded/) });
    expect((await (await byUser).exec("echo ok")).stdout).toBe("ok\n");
    const [, key] = racing.hostPublicKey("ed25519").split(" ");
    expect(ownKnownHosts().toString()).toBe(`${before}[127.0.0.1]:${racing.port} ssh-ed25519 ${key}\n`);
  });

  test("a queen restarted without the node's recorded key: rediscovery refuses the host and records nothing", async () => {
    await server.close();
    const withoutNode = ownKnownHosts()
      .toString()
      .split("\n")
      .filter((line) => !line.startsWith(`[127.0.0.1]:${unverified.port} `))
      .join("\n");
    writeFileSync(knownHostsFile(), withoutNode);
    // A queen not started: its rediscovery is run here, and awaited.
    const queen = new Queen({ home, userKnownHosts: [userKnownHosts], sshAgent: "", sshTimeoutMs: 5_000, log: (message) => logs.push(message) });
    try {
      expect(queen.beehives.get("unverified")?.status).toBe("reachable");
      await queen.fleet.rediscover();
      expect(queen.beehives.get("unverified")?.status).toBe("unreachable");
      expect(logs.join("\n")).toMatch(/unverified: not reachable after restart \(.*host key not recorded/);
      expect(ownKnownHosts().toString()).toBe(withoutNode);
    } finally {
      await queen.close();
    }
  });
});
