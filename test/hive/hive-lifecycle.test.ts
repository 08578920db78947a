import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnNodeScript } from "../helpers/process.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { HIVE_BIN, pidAlive, startHiveProcess, until } from "./fixtures/hive-process.js";

let dir: string;
let modelPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-hive-life-"));
  modelPath = join(dir, "tiny.gguf");
  await writeTinyGguf(modelPath, { seed: 3 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("rbee-hive lifecycle", () => {
  it("refuses to bind beyond loopback", async () => {
    const hive = spawnNodeScript(HIVE_BIN, ["daemon", "--host", "0.0.0.0", "--port", "0"], { env: { ...process.env, RBEE_HOME: join(dir, "refused") } });
    const exit = await hive.waitForExit();
    expect(exit.code).toBe(1);
    expect(hive.stderr()).toMatch(/loopback only.*0\.0\.0\.0/);
  });

  it("creates its token in RBEE_HOME/hive-token (0600) and stops the workers of a hive killed with -9 when it starts again", async () => {
    const home = join(dir, "home");
    const first = await startHiveProcess({ home });
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(home, "hive-token"))).mode & 0o777).toBe(0o600);
    expect((await first.json("/v1/workers/list")).status).toBe(200);

    const spawned = await first.json("/v1/workers/spawn", { model_ref: `file:${modelPath}`, threads: 1, ctx: 256 });
    expect(spawned.status).toBe(201);
    const pid = spawned.body.pid as number;
    first.process.child.kill("SIGKILL");
    await first.process.waitForExit();
    expect(pidAlive(pid)).toBe(true); // nobody could stop it: it is an orphan now

    const second = await startHiveProcess({ home });
    try {
      expect(second.token).toBe(first.token);
      await second.process.waitForLine(/left behind by a hive that died/, { stream: "stderr" });
      await until(() => !pidAlive(pid), "the orphaned worker to exit");
    } finally {
      await second.process.stop();
    }
  });
});
