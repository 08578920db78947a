// The queen's command texts mean the same whatever the node user's login shell is. sshd runs a
// command text as `<login shell> -c '<text>'`; here every session does exactly that with Debian's
// fish (whose syntax is not sh's), and the queen still installs rbee from a git repository of this
// project, starts the hive (its /v1/health answers) and stops it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { INSTALL_STAMP, SH_STDIN_COMMAND } from "../../src/core/remote/remote-scripts.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { SshNodeConnection } from "../../src/core/ssh/node-connection.js";
import { connectSsh } from "../../src/core/ssh/ssh-connect.js";
import { AddNodeRequest, type StreamEvent } from "../../src/shared/contract/index.js";
import { makeProjectRepo } from "../helpers/project-repo.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { until } from "../helpers/until.js";

const FISH = ["/usr/bin/fish", "/usr/local/bin/fish", "/bin/fish"].find((path) => existsSync(path));
if (!FISH) {
  console.warn(
    "SKIPPED test/security/fish-login-shell.test.ts: fish is not installed (apt-get install -y fish; scripts/install-system-deps.sh installs it)",
  );
}

let dir: string;
let sshd: Sshd;
let server: QueenServer;
let repoUrl: string;
const installPath = () => join(dir, "node", "rbee");
const nodeHome = () => join(dir, "node", "home");

const hiveState = (): { pid: number; port: number } | undefined => {
  try {
    return JSON.parse(readFileSync(join(nodeHome(), "hive.json"), "utf8")) as { pid: number; port: number };
  } catch {
    return undefined;
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!FISH)("a node user whose login shell is fish", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rbee-fish-"));
    repoUrl = makeProjectRepo(join(dir, "repo"));
    sshd = await startSshd({ loginShell: FISH! });
    server = await startQueenServer({
      home: join(dir, "queen"),
      host: "127.0.0.1",
      port: 0,
      nodeHome: nodeHome(),
      userKnownHosts: [],
      sshAgent: "",
      log: () => {},
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await sshd?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the sessions really run under fish: sh syntax sent as a command text fails there", async () => {
    const session = await connectSsh(
      { host: sshd.host, port: sshd.port, user: sshd.user, keyPath: sshd.keyPath },
      { knownHosts: server.queen.knownHosts, unknownHost: "accept-once", agent: "" },
    );
    const connection = new SshNodeConnection("probe", session.client, session.fingerprint);
    try {
      // fish 3.6 exits 0 even on a syntax error: what tells is that nothing ran, and fish's message.
      const sh = await connection.exec("if true; then echo yes; fi");
      expect(sh.stdout).toBe("");
      expect(sh.stderr).toContain("fish: Missing end");
      const fish = await connection.exec("if true; echo yes; end");
      expect(fish).toMatchObject({ code: 0, stdout: "yes\n" });
    } finally {
      connection.close();
    }
  });

  test("install from git, hive start and stop all work; every command text went through fish", async () => {
    const queen = server.queen;
    await queen.addNode(
      AddNodeRequest.parse({
        node_name: "fishy",
        ssh_host: sshd.host,
        ssh_port: sshd.port,
        ssh_user: sshd.user,
        ssh_key_path: sshd.keyPath,
        git_repo_url: repoUrl,
        install_path: installPath(),
      }),
      true,
    );
    const before = sshd.commands().length;
    const events: StreamEvent[] = [];
    await queen.installOperation("fishy")((event) => events.push(event as StreamEvent), new AbortController().signal);
    const messages = events.map((event) => (event.type === "progress" ? event.message : event.type));
    expect(messages).toEqual(expect.arrayContaining(["cloning the repository", "Installed", "fishy is ready"]));
    expect(existsSync(join(installPath(), INSTALL_STAMP))).toBe(true);
    expect(queen.beehives.require("fishy").status).toBe("ready");

    const state = hiveState();
    expect(state?.pid).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${state!.port}/v1/health`);
    expect(health.status).toBe(200);

    await queen.removeNode("fishy");
    await until(() => !alive(state!.pid), "the hive to stop", 20_000);

    // The install, the hive start and the hive stop: each one the shell-neutral command text.
    const sent = sshd.commands().slice(before);
    expect(sent.filter((command) => command === SH_STDIN_COMMAND).length).toBeGreaterThanOrEqual(3);
    expect(sent.filter((command) => command !== SH_STDIN_COMMAND && command !== "true")).toEqual([]);
  }, 240_000);
});
