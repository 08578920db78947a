import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runKeeperBin } from "../helpers/keeper.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { freePort, startSshd, type Sshd } from "../helpers/sshd.js";

let sshd: Sshd;
let queen: QueenProcess;
let env: Record<string, string>;

beforeAll(async () => {
  sshd = await startSshd();
  queen = await startQueen();
  env = { RBEE_HOME: queen.home, RBEE_TOKEN: "", RBEE_QUEEN_URL: queen.baseUrl };
});
afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
});

const addArgs = (name: string, extra: string[] = []) => [
  "setup",
  "add-node",
  "--name",
  name,
  "--ssh-host",
  sshd.host,
  "--ssh-port",
  String(sshd.port),
  "--ssh-user",
  sshd.user,
  "--ssh-key",
  sshd.keyPath,
  "--git-repo",
  "file:///tmp/rbee.git",
  "--install-path",
  "/tmp/rbee-node",
  ...extra,
];

describe("rbee-keeper setup", () => {
  test("add-node connects, stores the node and prints its host key", async () => {
    const run = await runKeeperBin(addArgs("mac"), env);
    expect(run.stderr).toContain(`Connecting to ${sshd.user}@127.0.0.1 over SSH`);
    expect(run.stdout).toMatch(/^Added node mac \(reachable, host key SHA256:[A-Za-z0-9+/]{43}\)\n$/);
    expect(run.code).toBe(0);
  });

  test("list-nodes prints a table, --json the rows", async () => {
    const listed = await runKeeperBin(["setup", "list-nodes"], env);
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^NAME\s+REACHED AS\s+STATUS\s+LAST CONNECTED\s+INSTALL$/);
    expect(row).toMatch(new RegExp(`^mac\\s+${sshd.user}@127\\.0\\.0\\.1:${sshd.port}\\s+reachable\\s+\\d+ s ago\\s+main → /tmp/rbee-node$`));
    const json = await runKeeperBin(["--queen-url", queen.baseUrl, "setup", "list-nodes", "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ node_name: "mac", status: "reachable" })]);
  });

  test("errors: one clear line on stderr, exit 1", async () => {
    const duplicate = await runKeeperBin(addArgs("mac"), env);
    expect(duplicate).toMatchObject({ code: 1, stdout: "" });
    expect(duplicate.stderr).toContain('A node named "mac" already exists');

    const hostile = await runKeeperBin(addArgs("mac; touch /tmp/pwned"), env);
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toMatch(/node_name: use 1-63 lowercase letters/);

    const missing = await runKeeperBin(["setup", "add-node", "--name", "x"], env);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain("Missing --ssh-host");

    const unknown = await runKeeperBin(["setup", "frobnicate"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown command "setup frobnicate"');

    const noQueen = await runKeeperBin(["setup", "list-nodes"], { ...env, RBEE_QUEEN_URL: `http://127.0.0.1:${await freePort()}` });
    expect(noQueen.code).toBe(1);
    expect(noQueen.stderr).toMatch(/No queen answers at http:\/\/127\.0\.0\.1:\d+\. Start one with `queen-rbee`/);

    const badToken = await runKeeperBin(["setup", "list-nodes"], { ...env, RBEE_TOKEN: "nope" });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toBe(
      `rbee-keeper: The queen refused the token in RBEE_TOKEN: unset RBEE_TOKEN to use the token in ${queen.home}/token, or set it to the token in the queen's RBEE_HOME/token\n`,
    );
  });

  test("remove-node removes it", async () => {
    const removed = await runKeeperBin(["setup", "remove-node", "--name", "mac"], env);
    expect(removed).toMatchObject({ code: 0, stdout: "Removed node mac\n" });
    const listed = await runKeeperBin(["setup", "list-nodes"], env);
    expect(listed.stdout).toContain("No nodes yet");
    const again = await runKeeperBin(["setup", "remove-node", "--name", "mac"], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('rbee-keeper: No node named "mac": this queen has no nodes yet; add one with `rbee-keeper setup add-node`\n');
  });
});
