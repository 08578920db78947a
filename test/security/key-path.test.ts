// Key paths are checked: an ssh_key_path that is no small regular file (a device that never ends,
// a FIFO that blocks whoever opens it, a directory, a huge file) is refused at once with a 400
// naming the field, through the real HTTP API, instead of hanging the request or eating memory.
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { freePort } from "../helpers/sshd.js";

/** "At once": far below any SSH timeout, and an answer rather than a hang. */
const AT_ONCE_MS = 1000;

let home: string;
let fifo: string;
let server: QueenServer;
let closedPort: number;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-key-path-"));
  fifo = join(home, "fifo-key");
  execFileSync("mkfifo", [fifo]);
  mkdirSync(join(home, "a-directory"));
  writeFileSync(join(home, "huge-key"), Buffer.alloc(65 * 1024, "A"));
  symlinkSync("/dev/zero", join(home, "link-to-zero"));
  writeFileSync(join(home, "not-a-key"), "hello\n");
  // Nothing listens there: were a key ever accepted, SSH would be refused at once (never beyond loopback).
  closedPort = await freePort();
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: "", log: () => {} });
});

afterAll(async () => {
  // Were a regression to leave a reader blocked on the FIFO, a writer that opens and closes it frees it.
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: nobody is reading it, as it should be.
  }
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

/** POSTs a node with this key path; answers the status, the body and how long the answer took. */
async function postNode(path: string, keyPath: string): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.queen.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      node_name: "victim",
      ssh_host: "127.0.0.1",
      ssh_port: closedPort,
      ssh_user: "rbee",
      ssh_key_path: keyPath,
      git_repo_url: "file:///tmp/rbee.git",
      install_path: "/tmp/rbee-node",
    }),
    // A hang ends the request here (as a failure) rather than at the test's timeout.
    signal: AbortSignal.timeout(5_000),
  });
  const body: unknown = await response.json();
  return { status: response.status, body, ms: performance.now() - started };
}

const cases: [string, () => string, string][] = [
  ["/dev/zero (a device that never ends)", () => "/dev/zero", "is not a regular file"],
  ["a symlink to /dev/zero", () => join(home, "link-to-zero"), "is not a regular file"],
  ["a FIFO (opening it blocks)", () => fifo, "is not a regular file"],
  ["a directory", () => join(home, "a-directory"), "is a directory, not a key file"],
  ["a 65 KiB file", () => join(home, "huge-key"), "is too large for a key file (over 65536 bytes)"],
];

describe.each(["/v2/registry/beehives/test", "/v2/registry/beehives/add"])("POST %s", (endpoint) => {
  test.each(cases)("refuses %s at once: 400 naming ssh_key_path", async (_what, keyPath, reason) => {
    const answer = await postNode(endpoint, keyPath());

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("INVALID_REQUEST");
    expect(answer.body.error.details).toEqual([{ field: "ssh_key_path", message: `SSH key file ${keyPath()} ${reason}` }]);
    expect(answer.ms).toBeLessThan(AT_ONCE_MS);
    expect((await (await fetch(`${server.baseUrl}/v2/registry/beehives/list`, { headers: { authorization: `Bearer ${server.queen.token}` } })).json()).nodes).toEqual([]);
  });

  test("still reads a small regular file, and says when it is no key", async () => {
    const answer = await postNode(endpoint, join(home, "not-a-key"));

    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ field: "ssh_key_path", message: expect.stringMatching(/^not a private key ssh can use/) }]);
  });
});
