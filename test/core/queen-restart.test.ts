import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { jsonClient } from "../helpers/http-client.js";
import { startQueen } from "../helpers/queen-process.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

let sshd: Sshd;
let home: string;
beforeAll(async () => {
  sshd = await startSshd();
  home = mkdtempSync(join(tmpdir(), "rbee-restart-"));
});
afterAll(async () => {
  await sshd?.dispose();
  rmSync(home, { recursive: true, force: true });
});

test("after a restart the nodes are still there, the workers gone, the token the same", async () => {
  const first = await startQueen({ home });
  const api = jsonClient(first.baseUrl, first.token);
  const added = await api.post("/v2/registry/beehives/add", {
    node_name: "mac",
    ssh_host: sshd.host,
    ssh_port: sshd.port,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    git_repo_url: "file:///tmp/rbee.git",
    install_path: "/tmp/rbee-node",
  });
  expect(added.status).toBe(201);
  const registered = await api.post("/v1/workers/register", {
    worker_id: "w1",
    url: "http://127.0.0.1:9301",
    model_ref: "tinyllama",
    backend: "cpu",
    device: 0,
    slots_total: 1,
    slots_available: 1,
    node_name: "mac",
  });
  expect(registered.status).toBe(201);
  expect(await first.stop()).toBe(0);
  expect(first.output()).toMatch(/SIGTERM: stopping/);

  const second = await startQueen({ home });
  try {
    expect(second.token).toBe(first.token);
    const again = jsonClient(second.baseUrl, second.token);
    const nodes = (await again.get("/v2/registry/beehives/list")).body.nodes;
    expect(nodes).toEqual([added.body.node]);
    expect((await again.get("/v1/workers/list")).body.workers).toEqual([]);
  } finally {
    await second.stop();
  }
});

test("queen-rbee refuses a non-loopback bind without --allow-remote, and a bad port", async () => {
  await expect(startQueen({ args: ["--host", "0.0.0.0"] })).rejects.toThrow(/not a loopback address.*--allow-remote/s);
  await expect(startQueen({ args: ["--port", "http"] })).rejects.toThrow(/--port must be a number/);
});
