import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";
import { freePort, startSshd, type Sshd } from "../helpers/sshd.js";

const SSH_TIMEOUT_MS = 1500;
let sshd: Sshd;
let home: string;
let server: QueenServer;
let api: ReturnType<typeof jsonClient>;

const nodeBody = (name: string, over: Record<string, unknown> = {}) => ({
  node_name: name,
  ssh_host: sshd.host,
  ssh_port: sshd.port,
  ssh_user: sshd.user,
  ssh_key_path: sshd.keyPath,
  git_repo_url: "file:///tmp/rbee.git",
  install_path: "/tmp/rbee-node",
  ...over,
});

beforeAll(async () => {
  sshd = await startSshd();
  home = mkdtempSync(join(tmpdir(), "rbee-ssh-"));
  server = await startQueenServer({
    home,
    host: "127.0.0.1",
    port: 0,
    sshTimeoutMs: SSH_TIMEOUT_MS,
    userKnownHosts: [],
    sshAgent: "",
    log: () => {},
  });
  api = jsonClient(server.baseUrl, server.queen.token);
});
afterAll(async () => {
  await server?.close();
  await sshd?.dispose();
  rmSync(home, { recursive: true, force: true });
});

describe("adding a node over real SSH", () => {
  let fingerprint: string;

  test("test connection shows the host key and stores nothing", async () => {
    const answer = await api.post("/v2/registry/beehives/test", nodeBody("mac"));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true, host_key_fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/), known: false, latency_ms: expect.any(Number) });
    fingerprint = answer.body.host_key_fingerprint;
    expect((await api.get("/v2/registry/beehives/list")).body.nodes).toEqual([]);
    expect(() => readFileSync(join(home, "known_hosts"), "utf8")).toThrow();
  });

  test("add → 201 with the fingerprint, reachable, last connected now; the key is recorded", async () => {
    const before = Math.floor(Date.now() / 1000);
    const answer = await api.post("/v2/registry/beehives/add", { ...nodeBody("mac"), expected_host_key_fingerprint: fingerprint });
    expect(answer.status).toBe(201);
    expect(answer.body.host_key_fingerprint).toBe(fingerprint);
    expect(answer.body.node).toMatchObject({ node_name: "mac", status: "reachable", ssh_port: sshd.port, ssh_key_path: sshd.keyPath });
    expect(answer.body.node.last_connected_unix).toBeGreaterThanOrEqual(before);
    expect(readFileSync(join(home, "known_hosts"), "utf8")).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
    const again = await api.post("/v2/registry/beehives/test", nodeBody("mac"));
    expect(again.body).toMatchObject({ known: true, host_key_fingerprint: fingerprint });
  });

  test("a duplicate name → 409 NODE_EXISTS", async () => {
    const answer = await api.post("/v2/registry/beehives/add", nodeBody("mac"));
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe("NODE_EXISTS");
  });

  test("a wrong key → 502 SSH_FAILED (authentication), nothing stored", async () => {
    const answer = await api.post("/v2/registry/beehives/add", nodeBody("wrong", { ssh_key_path: sshd.wrongKeyPath }));
    expect(answer.status).toBe(502);
    expect(answer.body.error.code).toBe("SSH_FAILED");
    expect(answer.body.error.message).toMatch(/authentication failed/);
    expect(server.queen.beehives.get("wrong")).toBeUndefined();
  });

  test("a missing key file → 400 naming ssh_key_path", async () => {
    const answer = await api.post("/v2/registry/beehives/add", nodeBody("nokey", { ssh_key_path: "/nonexistent/id_ed25519" }));
    expect(answer.status).toBe(400);
    const message = "SSH key file /nonexistent/id_ed25519 does not exist: check the path, or give no key file to log in with your ssh-agent";
    expect(answer.body.error).toEqual({ code: "INVALID_REQUEST", message, details: [{ field: "ssh_key_path", message }] });
  });

  test("a closed port → SSH_FAILED (refused), not a wait for the timeout", async () => {
    const port = await freePort();
    const answer = await api.post("/v2/registry/beehives/add", nodeBody("closed", { ssh_port: port }));
    expect(answer.status).toBe(502);
    // "refused", not "timed out": the refusal was answered, rather than the timeout awaited (no clock
    // needed to tell them apart).
    expect(answer.body.error.message).toMatch(/connection refused/);
    expect(answer.body.error.message).not.toMatch(/timed out/);
  });

  test("a port that never answers → SSH_FAILED (timed out) after the configured timeout", async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const started = performance.now();
    try {
      const answer = await api.post("/v2/registry/beehives/add", nodeBody("silent", { ssh_port: port }));
      expect(answer.status).toBe(502);
      expect(answer.body.error.message).toMatch(/timed out/);
      // The configured timeout ended it: not before it (a slow machine can only make it later, so this
      // bound cannot flake); a queen that never gave up fails on the test's own timeout.
      expect(performance.now() - started).toBeGreaterThanOrEqual(SSH_TIMEOUT_MS - 50);
    } finally {
      silent.close();
    }
  });

  test("a changed host key is refused and not recorded", async () => {
    await sshd.rotateHostKey();
    const known = readFileSync(join(home, "known_hosts"), "utf8");
    for (const path of ["/v2/registry/beehives/add", "/v2/registry/beehives/test"]) {
      const answer = await api.post(path, nodeBody("impostor"));
      expect(answer.status).toBe(502);
      expect(answer.body.error.code).toBe("SSH_FAILED");
      expect(answer.body.error.message).toMatch(/host key mismatch/);
    }
    expect(readFileSync(join(home, "known_hosts"), "utf8")).toBe(known);
    expect(server.queen.beehives.get("impostor")).toBeUndefined();
  });

  test("a fingerprint other than the confirmed one is refused", async () => {
    const answer = await api.post("/v2/registry/beehives/add", {
      ...nodeBody("confirmed", { ssh_port: sshd.port }),
      expected_host_key_fingerprint: `SHA256:${"A".repeat(43)}`,
    });
    expect(answer.status).toBe(502);
    expect(answer.body.error.message).toMatch(/host key mismatch/);
  });

  test("remove → gone", async () => {
    expect((await api.post("/v2/registry/beehives/remove", { node_name: "mac" })).status).toBe(200);
    expect((await api.get("/v2/registry/beehives/list")).body.nodes).toEqual([]);
  });
});
