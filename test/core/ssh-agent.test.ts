import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";
import { spawnProcess, type RunningProcess } from "../helpers/process.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

let dir: string;
let sshd: Sshd;
let agent: RunningProcess;
let socket: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-agent-"));
  sshd = await startSshd();
  socket = join(dir, "agent.sock");
  agent = spawnProcess("ssh-agent", ["-D", "-a", socket]);
  await agent.waitForLine(/SSH_AUTH_SOCK/);
  execFileSync("ssh-add", ["-q", sshd.keyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
});
afterAll(async () => {
  await agent?.stop();
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const body = { node_name: "agent", ssh_user: "", ssh_host: "127.0.0.1", git_repo_url: "file:///tmp/rbee.git", install_path: "/tmp/rbee" };

test("without a key file the user's ssh-agent is used", async () => {
  const server: QueenServer = await startQueenServer({ home: join(dir, "queen"), host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: socket, log: () => {} });
  try {
    const answer = await jsonClient(server.baseUrl, server.queen.token).post("/v2/registry/beehives/add", { ...body, ssh_user: sshd.user, ssh_port: sshd.port });
    expect(answer.status).toBe(201);
    expect(answer.body.node).toMatchObject({ status: "reachable", ssh_key_path: null });
  } finally {
    await server.close();
  }
});

test("no key file and no agent: a clear SSH_FAILED", async () => {
  const server: QueenServer = await startQueenServer({ home: join(dir, "queen2"), host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: "", log: () => {} });
  const saved = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
  try {
    const answer = await jsonClient(server.baseUrl, server.queen.token).post("/v2/registry/beehives/add", { ...body, ssh_user: sshd.user, ssh_port: sshd.port });
    expect(answer.status).toBe(502);
    expect(answer.body.error.message).toMatch(/no key file given and no ssh-agent running/);
  } finally {
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    await server.close();
  }
});
