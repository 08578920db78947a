// Install never clobbers a foreign checkout: a directory at install_path is reused only if it is
// an rbee checkout (the install stamp, or a git checkout of the node's repository) or filled if
// it is empty. Anything else fails with a clear INSTALL_FAILED, and not one byte in it changes.
// Runs over real SSH; the repository's install-node.sh is a stub (the checkout step is under test).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { KnownHosts } from "../../src/core/ssh/known-hosts.js";
import { installOnNode } from "../../src/core/remote/installer.js";
import { INSTALL_STAMP } from "../../src/core/remote/remote-scripts.js";
import { SshNodeConnection } from "../../src/core/ssh/node-connection.js";
import { connectSsh } from "../../src/core/ssh/ssh-connect.js";
import { RbeeError, type Beehive } from "../../src/shared/contract/index.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

let dir: string;
let sshd: Sshd;
let connection: SshNodeConnection;
let repoUrl: string;

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, env: gitEnv }).toString().trim();

/** A repository with a stub install-node.sh that only stamps the checkout. */
function makeStubRepo(path: string): string {
  mkdirSync(join(path, "scripts"), { recursive: true });
  writeFileSync(join(path, ".gitignore"), `${INSTALL_STAMP}\n`);
  writeFileSync(
    join(path, "scripts", "install-node.sh"),
    ['#!/bin/sh', "set -eu", 'cd "$(dirname "$0")/.."', `git rev-parse HEAD > ${INSTALL_STAMP}`, 'echo "rbee-install: installed"', ""].join("\n"),
  );
  git(path, "init", "--quiet", "--initial-branch=main");
  git(path, "add", "--all");
  git(path, "commit", "--quiet", "-m", "stub rbee");
  return `file://${path}`;
}

const node = (installPath: string, url = repoUrl): Beehive => ({
  node_name: "mac",
  ssh_host: sshd.host,
  ssh_port: sshd.port,
  ssh_user: sshd.user,
  ssh_key_path: sshd.keyPath,
  git_repo_url: url,
  git_branch: "main",
  install_path: installPath,
  last_connected_unix: null,
  status: "reachable",
  transport: "ssh",
});

/** Every path under `root` (.git included) with its type, mode and content or link target. */
function treeHash(root: string): string {
  const hash = createHash("sha256");
  const walk = (path: string, relative: string): void => {
    const stats = lstatSync(path);
    hash.update(`${relative}\0${stats.mode}\0${stats.mtimeMs}\0`);
    if (stats.isSymbolicLink()) hash.update(readlinkSync(path));
    else if (stats.isFile()) hash.update(readFileSync(path));
    else if (stats.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), `${relative}/${name}`);
  };
  walk(root, ".");
  return hash.digest("hex");
}

/** What an install at `installPath` ends with: the error it failed with, or undefined. */
function attempt(installPath: string): Promise<unknown> {
  return installOnNode(connection, node(installPath), () => {}).then(
    () => undefined,
    (failure: unknown) => failure,
  );
}

/** The install at `path` fails with the foreign-checkout error, and leaves every byte there as it was. */
async function expectRefused(path: string): Promise<void> {
  const before = treeHash(path);
  const outcome = await attempt(path);
  expect.soft(treeHash(path), `the files at ${path}`).toBe(before);
  expect(outcome).toBeInstanceOf(RbeeError);
  expect(outcome).toMatchObject({
    code: "INSTALL_FAILED",
    message: `Install on mac failed: ${path} exists and is not an rbee checkout; choose another install path or remove it`,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-foreign-"));
  repoUrl = makeStubRepo(join(dir, "repo"));
  sshd = await startSshd();
  const session = await connectSsh(
    { host: sshd.host, port: sshd.port, user: sshd.user, keyPath: sshd.keyPath },
    { knownHosts: new KnownHosts(join(dir, "known_hosts"), []), unknownHost: "accept-once", agent: "" },
  );
  connection = new SshNodeConnection("mac", session.client, session.fingerprint);
}, 60_000);

afterAll(async () => {
  connection?.close();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("an install path that holds something else", () => {
  test("a non-empty directory with a file: INSTALL_FAILED, nothing in it changed", async () => {
    const path = join(dir, "notes");
    mkdirSync(path);
    writeFileSync(join(path, "thesis.txt"), "years of work\n");
    chmodSync(join(path, "thesis.txt"), 0o640);
    await expectRefused(path);
  });

  test("someone else's git repository (another origin, local changes): INSTALL_FAILED, nothing in it changed", async () => {
    const path = join(dir, "project");
    mkdirSync(path);
    writeFileSync(join(path, "main.c"), "int main(void) { return 0; }\n");
    git(path, "init", "--quiet", "--initial-branch=main");
    git(path, "remote", "add", "origin", "https://example.invalid/someone-else.git");
    git(path, "add", "--all");
    git(path, "commit", "--quiet", "-m", "theirs");
    writeFileSync(join(path, "main.c"), "int main(void) { return 1; } /* uncommitted */\n");
    await expectRefused(path);
    expect(git(path, "remote", "get-url", "origin")).toBe("https://example.invalid/someone-else.git");
  });

  test("a git repository with no origin, a plain file and a dangling link are refused too", async () => {
    const bare = join(dir, "no-origin");
    mkdirSync(bare);
    git(bare, "init", "--quiet");
    const file = join(dir, "a-file");
    writeFileSync(file, "not a directory\n");
    const link = join(dir, "a-link");
    symlinkSync(join(dir, "nowhere"), link);
    for (const path of [bare, file, link]) await expectRefused(path);
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
  });
});

describe("an install path that may be used", () => {
  test("an empty directory is filled with the checkout", async () => {
    const path = join(dir, "empty");
    mkdirSync(path);
    const steps: string[] = [];
    await expect(installOnNode(connection, node(path), (step) => steps.push(step))).resolves.toEqual({ changed: true });
    expect(steps).toContain("cloning the repository");
    expect(readFileSync(join(path, INSTALL_STAMP), "utf8").trim()).toBe(git(join(dir, "repo"), "rev-parse", "HEAD"));
  });

  test("an rbee checkout is updated in place; after a move of the repository the stamp still marks it", async () => {
    const path = join(dir, "empty");
    const steps: string[] = [];
    await installOnNode(connection, node(path), (step) => steps.push(step));
    expect(steps).toContain("fetching main");
    // The same repository at a new address: the stamped checkout follows it.
    const moved = join(dir, "moved-repo");
    execFileSync("git", ["clone", "--quiet", "--bare", join(dir, "repo"), moved]);
    await installOnNode(connection, node(path, `file://${moved}`), () => {});
    expect(git(path, "remote", "get-url", "origin")).toBe(`file://${moved}`);
  });

  test("a checkout of the node's repository without the stamp (a first install that stopped halfway) is reused", async () => {
    const path = join(dir, "halfway");
    git(dir, "clone", "--quiet", "--", repoUrl, path);
    const steps: string[] = [];
    await installOnNode(connection, node(path), (step) => steps.push(step));
    expect(steps).toContain("fetching main");
    expect(existsSync(join(path, INSTALL_STAMP))).toBe(true);
  });
});
