// Property-based fuzzing of every IPC handler (with a stand-in for Electron's ipcMain, which cannot
// run here) against a real queen core: hostile arguments get a coded error, never INTERNAL, never a
// crash, never an invalid row; untrusted senders are refused.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { API_METHOD_NAMES, Beehive, IpcOutcome, ipcChannel } from "../../src/shared/contract/index.js";
import { Queen } from "../../src/core/queen.js";

vi.mock("electron", async () => (await import("../helpers/fake-ipc-main.js")).electronStub);
const { ipcHandlers: handlers } = await import("../helpers/fake-ipc-main.js");
const { registerIpc } = await import("../../src/main/ipc.js");
const { QueenService } = await import("../../src/core/service/queen-service.js");

const TRUSTED = { id: 1 };
let dir: string;
let queen: Queen;
let tried = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-ipc-fuzz-"));
  queen = new Queen({ home: dir, sshTimeoutMs: 300, userKnownHosts: [], sshAgent: "" });
  registerIpc(new QueenService(queen), (sender) => sender === TRUSTED, () => {});
});
afterAll(async () => {
  console.log(`ipc fuzz: ${tried} calls tried`);
  await queen.close();
  rmSync(dir, { recursive: true, force: true });
});

const hostile = fc.oneof(
  fc.string(),
  fc.constantFrom("'; DROP TABLE beehives; --", "$(touch /tmp/rbee-pwned)", "../../etc/passwd", "\u0000", "\ud800", "x".repeat(100_000)),
);
const anyArg: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    hostile,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(hostile, tie("value"), { maxKeys: 4 }),
    fc.record({ node_name: hostile, ssh_host: hostile, ssh_user: hostile, git_repo_url: hostile, install_path: hostile }, { requiredKeys: [] }),
  ),
})).value;

const call = (method: string, sender: unknown, args: unknown[]) =>
  handlers.get(ipcChannel(method as (typeof API_METHOD_NAMES)[number]))!({ sender, senderFrame: { url: "file:///x" } }, ...args);

test.each(API_METHOD_NAMES.filter((m) => m !== "sshConfigHosts"))("%s: random and hostile arguments", async (method) => {
  await fc.assert(
    fc.asyncProperty(fc.array(anyArg, { maxLength: 3 }), async (args) => {
      tried += 1;
      const outcome = IpcOutcome.parse(await call(method, TRUSTED, args));
      if (!outcome.ok) expect(outcome.error.code, outcome.error.message).not.toBe("INTERNAL");
    }),
    { numRuns: 100 },
  );
  for (const node of queen.beehives.list()) expect(Beehive.safeParse(node).success).toBe(true);
}, 60_000);

test("a sender other than our window is refused, whatever it asks", async () => {
  for (const method of API_METHOD_NAMES) {
    tried += 1;
    const outcome = IpcOutcome.parse(await call(method, { id: 2 }, []));
    expect(outcome).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
  }
});
