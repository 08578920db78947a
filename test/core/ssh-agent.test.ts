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
/** An agent holding no key at all. */
let emptyAgent: RunningProcess;
let emptySocket: string;
/** An agent holding only a key the server refuses. */
let wrongAgent: RunningProcess;
let wrongSocket: string;

async function startAgent(path: string, key?: string): Promise<RunningProcess> {
  const started = spawnProcess("ssh-agent", ["-D", "-a", path]);
  await started.waitForLine(/SSH_AUTH_SOCK/);
  if (key) execFileSync("ssh-add", ["-q", key], { env: { ...process.env, SSH_AUTH_SOCK: path } });
  return started;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-agent-"));
  sshd = await startSshd();
  socket = join(dir, "agent.sock");
  emptySocket = join(dir, "empty.sock");
  wrongSocket = join(dir, "wrong.sock");
  [agent, emptyAgent, wrongAgent] = await Promise.all([
    startAgent(socket, sshd.keyPath),
    startAgent(emptySocket),
    startAgent(wrongSocket, sshd.wrongKeyPath),
  ]);
});
afterAll(async () => {
  await Promise.all([agent?.stop(), emptyAgent?.stop(), wrongAgent?.stop()]);
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** What adding a node with no key file answers from a queen using this agent socket ("" for none). */
async function addWithAgent(home: string, sshAgent: string, extra: Record<string, unknown> = {}) {
  const server: QueenServer = await startQueenServer({ home: join(dir, home), host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent, log: () => {} });
  const saved = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
  try {
    return await jsonClient(server.baseUrl, server.queen.token).post("/v2/registry/beehives/add", { ...body, ssh_user: sshd.user, ssh_port: sshd.port, ...extra });
  } finally {
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    await server.close();
  }
}

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

test("no key file and no agent: says so and what to do, not that the node refused a key", async () => {
  const answer = await addWithAgent("queen2", "");
  expect(answer.status).toBe(502);
  expect(answer.body.error).toEqual({
    code: "SSH_FAILED",
    message: `SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: no key file was given and no ssh-agent is running: pass --ssh-key PATH (ssh_key_path), or start ssh-agent and ssh-add your key`,
  });
});

test("no key file and an SSH_AUTH_SOCK nothing answers on: no ssh-agent is running", async () => {
  const gone = join(dir, "gone.sock");
  const answer = await addWithAgent("queen3", gone);
  expect(answer.body.error).toEqual({
    code: "SSH_FAILED",
    message: `SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: no key file was given and no ssh-agent is running (nothing answers at ${gone}): pass --ssh-key PATH (ssh_key_path), or start ssh-agent and ssh-add your key`,
  });
});

test("no key file and an agent with no key: says the agent is empty", async () => {
  const answer = await addWithAgent("queen4", emptySocket);
  expect(answer.body.error).toEqual({
    code: "SSH_FAILED",
    message: `SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: no key file was given and the ssh-agent holds no key: ssh-add your key, or pass --ssh-key PATH (ssh_key_path)`,
  });
});

test("no key file and an agent whose key the server refuses: that is a refusal", async () => {
  const answer = await addWithAgent("queen5", wrongSocket);
  expect(answer.body.error).toEqual({
    code: "SSH_FAILED",
    message: `SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: authentication failed: no key file was given and the server refused the key in your ssh-agent: ssh-add the key this server accepts, or pass --ssh-key PATH (ssh_key_path)`,
  });
});

test("a refused key file with a dead agent socket beside it: the key was refused (the agent is no reason to stop)", async () => {
  const answer = await addWithAgent("queen6", join(dir, "gone.sock"), { ssh_key_path: sshd.wrongKeyPath });
  expect(answer.body.error).toEqual({
    code: "SSH_FAILED",
    message: `SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: authentication failed: the server refused the key ${sshd.wrongKeyPath} for user ${sshd.user}; add its public key to ~/.ssh/authorized_keys on that host, or pass another key with --ssh-key`,
  });
});
