// The messages of a first hour with rbee, word for word, from the real programs: a real queen-rbee,
// the real rbee-keeper, a real sshd on loopback and a node installed from this project. Each says
// what happened and what to do, and the CLI prints the sentence the HTTP API answers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { StreamEvent } from "../../src/shared/contract/index.js";
import { jsonClient } from "../helpers/http-client.js";
import { postJson } from "../helpers/installed-node.js";
import { runKeeperBin } from "../helpers/keeper.js";
import { makeProjectRepo } from "../helpers/project-repo.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readStreamEvents } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let repoUrl: string;
let env: Record<string, string>;
let model: string;
let otherModel: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-messages-"));
  repoUrl = makeProjectRepo(join(dir, "repo"));
  await writeTinyGguf(join(dir, "tiny.gguf"), { seed: 7 });
  await writeTinyGguf(join(dir, "other.gguf"), { seed: 9 });
  model = `file:${join(dir, "tiny.gguf")}`;
  otherModel = `file:${join(dir, "other.gguf")}`;
  sshd = await startSshd();
  // No ssh-agent for this queen: a node added without a key file has nothing to log in with.
  queen = await startQueen({ env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1", SSH_AUTH_SOCK: "" } });
  env = { RBEE_HOME: queen.home, RBEE_TOKEN: "", RBEE_QUEEN_URL: queen.baseUrl };
}, 120_000);

afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const keeper = (...args: string[]) => runKeeperBin(args, env);
const addArgs = (name: string, ...extra: string[]) => [
  "setup", "add-node", "--name", name, "--ssh-host", sshd.host, "--ssh-port", String(sshd.port), "--ssh-user", sshd.user,
  "--git-repo", repoUrl, "--install-path", join(dir, "node", "rbee"), ...extra,
];
/** The progress stages a run printed, in order (`[ssh] …` lines on stderr). */
const stages = (stderr: string) => [...stderr.matchAll(/^\[(\w+)\] /gm)].map((match) => match[1]);
const connecting = () => `Connecting to ${sshd.user}@127.0.0.1 over SSH…\n`;

describe("progress says only what happens", () => {
  test("a first install connects over SSH and starts the hive, and says both", async () => {
    expect((await keeper(...addArgs("loopbox", "--ssh-key", sshd.keyPath))).code).toBe(0);
    const installed = await keeper("setup", "install", "--node", "loopbox");
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stderr).toContain(`[ssh] Connecting to ${sshd.user}@127.0.0.1:${sshd.port}\n`);
    expect(installed.stderr).toContain("[hive] Starting rbee-hive on loopbox\n");
  }, 240_000);

  test("a warm request on a node whose hive runs says neither: only the spawn it does", async () => {
    const run = await keeper("infer", "--node", "loopbox", "--model", model, "--prompt", "hello", "--max-tokens", "4");
    expect(run.code, run.stderr).toBe(0);
    expect(stages(run.stderr)).not.toContain("ssh");
    expect(stages(run.stderr)).not.toContain("hive");
    expect(stages(run.stderr)).toContain("spawn");

    // The same through the HTTP API, for another model (so that a worker is spawned again).
    const { events } = await readStreamEvents(await postJson(queen, "/v1/inference", { node: "loopbox", model: otherModel, prompt: "hi", max_tokens: 2 }));
    const said = events.filter((e): e is Extract<StreamEvent, { type: "progress" }> => e.type === "progress").map((e) => e.stage);
    expect(said).toContain("spawn");
    expect(said).not.toContain("ssh");
    expect(said).not.toContain("hive");
    expect(events.at(-1)?.type).toBe("end");
  }, 60_000);
});

describe("an unknown node", () => {
  const typo = 'No node named "loopbx" (did you mean "loopbox"?): this queen knows loopbox; see the list with `rbee-keeper setup list-nodes` or add one with `rbee-keeper setup add-node`';

  test("rbee-keeper infer: the known nodes, the closest one, and the commands to list and add nodes", async () => {
    const run = await keeper("infer", "--node", "loopbx", "--model", model, "--prompt", "hi");
    expect(run).toEqual({ code: 1, stdout: "", stderr: `rbee-keeper: ${typo}\n` });
  });

  test("rbee-keeper setup remove-node: no guess when no name is close", async () => {
    const run = await keeper("setup", "remove-node", "--name", "x");
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: 'rbee-keeper: No node named "x": this queen knows loopbox; see the list with `rbee-keeper setup list-nodes` or add one with `rbee-keeper setup add-node`\n',
    });
  });

  test("the HTTP API answers the same sentence to a spawn and to an inference", async () => {
    const spawn = await postJson(queen, "/v1/workers/spawn", { node_name: "loopbx", model_ref: model });
    expect(spawn.status).toBe(404);
    expect(await spawn.json()).toEqual({ error: { code: "NODE_NOT_FOUND", message: typo } });
    const inference = await postJson(queen, "/v1/inference", { node: "loopbx", model, prompt: "hi" });
    expect(inference.status).toBe(404);
    expect(await inference.json()).toEqual({ error: { code: "NODE_NOT_FOUND", message: typo } });
  });
});

describe("a missing model names the node", () => {
  const missing = () =>
    `Model file ${join(dir, "nowhere.gguf")} not found on node loopbox: check the path, or download the model there first (an hf: or https:// model_ref is downloaded for you)`;

  test("rbee-keeper infer: that one sentence, and no progress that did not happen", async () => {
    const run = await keeper("infer", "--node", "loopbox", "--model", `file:${join(dir, "nowhere.gguf")}`, "--prompt", "hi");
    expect(run).toEqual({ code: 1, stdout: "", stderr: `rbee-keeper: ${missing()}\n` });
  });

  test("the HTTP API's spawn stream ends with the same sentence", async () => {
    const { events } = await readStreamEvents(await postJson(queen, "/v1/workers/spawn", { node_name: "loopbox", model_ref: `file:${join(dir, "nowhere.gguf")}` }));
    expect(events.at(-1)).toEqual({ type: "error", code: "MODEL_NOT_FOUND", message: missing() });
  });
});

describe("logging in to a node", () => {
  test("no key file and no ssh-agent: says exactly that, and what to do", async () => {
    const run = await keeper(...addArgs("nokey"));
    const reason =
      "no key file was given and no ssh-agent is running: pass --ssh-key PATH (ssh_key_path), or start ssh-agent and ssh-add your key";
    expect(run).toEqual({ code: 1, stdout: "", stderr: `${connecting()}rbee-keeper: SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: ${reason}\n` });
  });

  test("a missing key file is said once, in one sentence: adding, installing, and over HTTP", async () => {
    const keyPath = join(dir, "no-such-key");
    const sentence = `SSH key file ${keyPath} does not exist: check the path, or give no key file to log in with your ssh-agent`;
    const added = await keeper(...addArgs("lostkey", "--ssh-key", keyPath));
    expect(added).toEqual({ code: 1, stdout: "", stderr: `${connecting()}rbee-keeper: ${sentence}\n` });

    expect((await keeper(...addArgs("lostkey", "--ssh-key", keyPath, "--no-verify"))).code).toBe(0);
    const installed = await keeper("setup", "install", "--node", "lostkey");
    expect(installed).toEqual({
      code: 1,
      stdout: "",
      stderr: `[ssh] Connecting to ${sshd.user}@127.0.0.1:${sshd.port}\nrbee-keeper: ${sentence}\n`,
    });

    const api = await jsonClient(queen.baseUrl, queen.token).post("/v2/registry/beehives/add", {
      node_name: "lostkey2", ssh_host: sshd.host, ssh_port: sshd.port, ssh_user: sshd.user, ssh_key_path: keyPath,
      git_repo_url: repoUrl, install_path: join(dir, "node", "rbee"),
    });
    expect(api).toEqual({
      status: 400,
      body: { error: { code: "INVALID_REQUEST", message: sentence, details: [{ field: "ssh_key_path", message: sentence }] } },
    });
  });
});

describe("a token the queen refuses", () => {
  test("from RBEE_TOKEN: says to unset it, and where the token lives", async () => {
    const run = await runKeeperBin(["setup", "list-nodes"], { ...env, RBEE_TOKEN: "not-the-token-not-the-token-not-the-token" });
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: `rbee-keeper: The queen refused the token in RBEE_TOKEN: unset RBEE_TOKEN to use the token in ${queen.home}/token, or set it to the token in the queen's RBEE_HOME/token\n`,
    });
  });

  test("from RBEE_HOME/token: names the file it read", async () => {
    const home = join(dir, "elsewhere");
    mkdirSync(home);
    writeFileSync(join(home, "token"), "an-old-token-of-another-queen-an-old-token\n", { mode: 0o600 });
    const run = await runKeeperBin(["setup", "list-nodes"], { ...env, RBEE_HOME: home });
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: `rbee-keeper: The queen refused the token in ${home}/token: point RBEE_HOME at the queen's home, or set RBEE_TOKEN to the token in the queen's RBEE_HOME/token\n`,
    });
  });

  test("the HTTP API says where the queen's token is", async () => {
    const answer = await jsonClient(queen.baseUrl, "not-the-token-not-the-token-not-the-token").get("/v2/registry/beehives/list");
    expect(answer).toEqual({
      status: 401,
      body: { error: { code: "UNAUTHORIZED", message: "Invalid token: use the token in the queen's RBEE_HOME/token (default ~/.rbee/token)" } },
    });
  });
});
