// rbee-keeper finds a running queen through RBEE_HOME/queen.json: a real queen-rbee on `--port 0`
// (and the desktop app's queen, under the Electron test double) answers a keeper that is given
// nothing but RBEE_HOME; the file is 0600 and goes when the queen stops; a file left by a queen that
// is gone is ignored with one line that says so and where the keeper tries instead.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { runKeeperBin } from "../helpers/keeper.js";
import { startQueen } from "../helpers/queen-process.js";
import { freePort } from "../helpers/sshd.js";

vi.mock("electron", async () => (await import("../helpers/electron-double.js")).electronDouble);
const { resetElectronDouble } = await import("../helpers/electron-double.js");
const { startQueen: startDesktopQueen } = await import("../../src/main/desktop.js");

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "rbee-discovery-"));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

/** Only RBEE_HOME: no URL, no port, no token from the environment running the tests. */
const onlyHome = (more: Record<string, string> = {}): Record<string, string> => ({
  RBEE_HOME: home,
  RBEE_QUEEN_URL: "",
  RBEE_QUEEN_PORT: "",
  RBEE_TOKEN: "",
  ...more,
});

const NO_NODES = "No nodes yet. Add one with: rbee-keeper setup add-node --help\n";

/** The pid of a process that has run and exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid!;
}

describe("queen-rbee writes RBEE_HOME/queen.json", () => {
  test("rbee-keeper given only RBEE_HOME finds a queen on --port 0; the file is 0600 and gone once the queen stops", async () => {
    const queen = await startQueen({ home });
    const file = join(home, "queen.json");
    try {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ url: queen.baseUrl, pid: queen.child.pid });

      const run = await runKeeperBin(["setup", "list-nodes"], onlyHome());
      expect(run).toEqual({ code: 0, stdout: NO_NODES, stderr: "" });
    } finally {
      expect(await queen.stop()).toBe(0);
    }
    expect(existsSync(file)).toBe(false);
  });

  test("a queen that crashed leaves its file: the keeper ignores it with one line and falls back to RBEE_QUEEN_PORT", async () => {
    const queen = await startQueen({ home });
    const pid = queen.child.pid!;
    await queen.kill();
    const file = join(home, "queen.json");
    expect(existsSync(file)).toBe(true);

    const port = await freePort();
    const run = await runKeeperBin(["setup", "list-nodes"], onlyHome({ RBEE_QUEEN_PORT: String(port) }));
    expect(run.code).toBe(1);
    const [stale, error, ...rest] = run.stderr.trimEnd().split("\n");
    expect(stale).toBe(
      `rbee-keeper: ignoring ${file}: the queen that wrote it (pid ${pid}) is not running; trying http://127.0.0.1:${port} (from RBEE_QUEEN_PORT)`,
    );
    // Nothing answers there either: the error says how to start a queen, and where the address came from.
    expect(error).toBe(
      `rbee-keeper: No queen answers at http://127.0.0.1:${port}. Start one with \`queen-rbee\` (\`npx queen-rbee\` in the rbee checkout without \`npm link\`) or open the rbee app, or pass --queen-url (this address: from RBEE_QUEEN_PORT; ${file} is stale)`,
    );
    expect(rest).toEqual([]);
  });
});

describe("a stale queen.json", () => {
  test("with a dead pid: one line on stderr, and the keeper answers from the queen on RBEE_QUEEN_PORT", async () => {
    const queen = await startQueen({ home });
    try {
      const pid = await deadPid();
      const file = join(home, "queen.json");
      // Where a queen that died would have left it, naming a port nothing listens on.
      writeFileSync(file, JSON.stringify({ url: `http://127.0.0.1:${await freePort()}`, pid, started_unix_ms: Date.now(), version: "0.1.0" }));
      const port = new URL(queen.baseUrl).port;
      const run = await runKeeperBin(["setup", "list-nodes"], onlyHome({ RBEE_QUEEN_PORT: port }));
      expect(run).toEqual({
        code: 0,
        stdout: NO_NODES,
        stderr: `rbee-keeper: ignoring ${file}: the queen that wrote it (pid ${pid}) is not running; trying http://127.0.0.1:${port} (from RBEE_QUEEN_PORT)\n`,
      });
    } finally {
      await queen.stop();
    }
  });

  test("with a pid that is another program now (the queen that wrote the file started an hour before it): ignored the same way", async () => {
    const file = join(home, "queen.json");
    // This test's own process: alive, but not the one that started an hour before it.
    writeFileSync(file, JSON.stringify({ url: "http://127.0.0.1:1", pid: process.pid, started_unix_ms: Date.now() - 3_600_000, version: "0.1.0" }));
    const port = await freePort();
    const run = await runKeeperBin(["setup", "list-nodes"], onlyHome({ RBEE_QUEEN_PORT: String(port) }));
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n")[0]).toBe(
      `rbee-keeper: ignoring ${file}: pid ${process.pid} is another program now: the queen that wrote it stopped; trying http://127.0.0.1:${port} (from RBEE_QUEEN_PORT)`,
    );
  });

  test("no file at all: no line about it, and the error says no running queen wrote one", async () => {
    // A token, so that the keeper gets as far as trying the address.
    writeFileSync(join(home, "token"), `${"t".repeat(64)}\n`, { mode: 0o600 });
    const port = await freePort();
    const run = await runKeeperBin(["setup", "list-nodes"], onlyHome({ RBEE_QUEEN_PORT: String(port) }));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `rbee-keeper: No queen answers at http://127.0.0.1:${port}. Start one with \`queen-rbee\` (\`npx queen-rbee\` in the rbee checkout without \`npm link\`) or open the rbee app, or pass --queen-url (this address: from RBEE_QUEEN_PORT; no running queen wrote ${join(home, "queen.json")})\n`,
    );
  });
});

describe("precedence", () => {
  test("RBEE_QUEEN_URL and --queen-url win over a running queen's file", async () => {
    const queen = await startQueen({ home });
    try {
      const elsewhere = `http://127.0.0.1:${await freePort()}`;
      const fromEnv = await runKeeperBin(["setup", "list-nodes"], onlyHome({ RBEE_QUEEN_URL: elsewhere }));
      expect(fromEnv.code).toBe(1);
      expect(fromEnv.stderr).toContain(`No queen answers at ${elsewhere}.`);
      expect(fromEnv.stderr).toContain("(this address: from RBEE_QUEEN_URL)");
      const fromFlag = await runKeeperBin(["--queen-url", elsewhere, "setup", "list-nodes"], onlyHome());
      expect(fromFlag.stderr).toContain("(this address: from --queen-url)");
    } finally {
      await queen.stop();
    }
  });
});

describe("the desktop app's queen writes it too", () => {
  afterEach(() => resetElectronDouble());

  test("found by rbee-keeper on whatever port it got, and removed when it closes", async () => {
    const server = await startDesktopQueen({
      outDir: join(home, "out"),
      env: { RBEE_HOME: home, RBEE_QUEEN_PORT: "0", RBEE_LOCAL_NODE: "0" },
      log: () => {},
    });
    const file = join(home, "queen.json");
    try {
      expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ url: server.baseUrl, pid: process.pid });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const run = await runKeeperBin(["setup", "list-nodes"], onlyHome());
      expect(run).toEqual({ code: 0, stdout: NO_NODES, stderr: "" });
    } finally {
      await server.close();
    }
    expect(existsSync(file)).toBe(false);
  });
});
