// What a process on a node reaches through the queen's callback tunnel (the SSH remote forward),
// over a real OpenSSH server: the "node" is this machine's loopback, so the test stands where a
// co-tenant on the node would, at the forward's port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { SshNodeConnection } from "../../src/core/ssh/node-connection.js";
import { jsonClient } from "../helpers/http-client.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { rawRequest } from "./raw-http.js";

let sshd: Sshd;
let dir: string;
let server: QueenServer;

beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), "rbee-tunnel-"));
  server = await startQueenServer({
    home: join(dir, "queen"),
    nodeHome: join(dir, "node-home"),
    host: "127.0.0.1",
    port: 0,
    userKnownHosts: [],
    sshAgent: "",
    log: () => {},
  });
});
afterAll(async () => {
  await server?.close();
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test("the tunnel leads to the callback listener: the API is not behind it, whatever the token", async () => {
  const api = jsonClient(server.baseUrl, server.queen.token);
  const added = await api.post("/v2/registry/beehives/add", {
    node_name: "mac",
    ssh_host: sshd.host,
    ssh_port: sshd.port,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    git_repo_url: "file:///tmp/rbee.git",
    install_path: join(dir, "no-install"),
  });
  expect(added.status).toBe(201);
  const forward = vi.spyOn(SshNodeConnection.prototype, "remotePortFor");
  try {
    // Attaching tells the node's hive (none runs there) the callback address: the tunnel opens.
    expect(await server.queen.fleet.hives.attach(added.body.node)).toBeUndefined();
    expect(forward).toHaveBeenCalledWith(server.callbackPort);
    const tunnelPort = await (forward.mock.results[0]!.value as Promise<number>);
    expect(tunnelPort).not.toBe(server.port);

    const onTheNode = (path: string, token: string, method = "GET") =>
      rawRequest(tunnelPort, path, { method, headers: { host: `127.0.0.1:${tunnelPort}`, authorization: `Bearer ${token}` } });
    for (const token of [server.queen.token, server.queen.callbackTokens.issueForNode("mac")]) {
      const list = await onTheNode("/v2/registry/beehives/list", token);
      expect(list.status).toBe(404);
      expect(list.body.nodes).toBeUndefined();
      expect((await onTheNode("/v1/workers/list", token)).status).toBe(404);
    }
    // The callbacks are what is there: without a valid token, 401.
    expect((await onTheNode("/v1/workers/heartbeat", "0".repeat(64), "POST")).body.error.code).toBe("UNAUTHORIZED");
    // While the API itself answers the same request at its own port.
    expect((await api.get("/v2/registry/beehives/list")).body.nodes).toHaveLength(1);
  } finally {
    forward.mockRestore();
  }
});
