// A node token (each hive's) is held on its node, where a co-tenant may get hold of it. It may
// report only its own node's workers, never take over a worker being spawned, and never invent one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import type { HiveHandle } from "../../src/core/remote/hive-control.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import type { HiveWorker } from "../../src/shared/contract/index.js";
import { jsonClient } from "../helpers/http-client.js";
import { until } from "../helpers/until.js";

let home: string;
let server: QueenServer;
let callbacks: (token: string) => ReturnType<typeof jsonClient>;
let user: ReturnType<typeof jsonClient>;

const registration = (id: string, url = "http://127.0.0.1:9301") => ({
  worker_id: id,
  url,
  model_ref: "file:/models/tiny.gguf",
  backend: "cpu" as const,
  device: 0,
  slots_total: 2,
  slots_available: 2,
});

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-node-token-"));
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: "", healthIntervalMs: 3_600_000, log: () => {} });
  callbacks = (token) => jsonClient(`http://127.0.0.1:${server.callbackPort}`, token);
  user = jsonClient(server.baseUrl, server.queen.token);
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const worker of server.service.liveWorkers()) await server.service.stopWorker({ id: worker.id });
});

/** A worker as the queen registers it from its hive (rediscovery after a restart): on its node, no per-spawn token. */
function rediscovered(id: string, nodeName: string): void {
  server.queen.fleet.workerLifecycle.admit(registration(id), nodeName);
}

describe("what a node token may not do", () => {
  test("register a worker id the queen is spawning (its per-spawn token is outstanding): 403, and it stays unregistered", async () => {
    // What spawnWorker does before asking the hive: assign the id and issue its per-spawn token.
    const spawning = "gpu1-5ca1ab1e";
    server.queen.callbackTokens.issue(spawning, "gpu1");
    const hijack = await callbacks(server.queen.callbackTokens.issueForNode("gpu1")).post("/v1/workers/register", {
      ...registration(spawning, "http://127.0.0.1:6666"),
      node_name: "gpu1",
    });
    expect(hijack.status).toBe(403);
    expect(hijack.body.error).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("per-spawn token") });
    expect(server.queen.workers.get(spawning)).toBeUndefined();
    server.queen.callbackTokens.revoke(spawning);
  });

  test("register an id the queen never assigned to its node: 403", async () => {
    const invented = await callbacks(server.queen.callbackTokens.issueForNode("gpu1")).post("/v1/workers/register", registration("gpu1-deadbeef"));
    expect(invented.status).toBe(403);
    expect(server.queen.workers.get("gpu1-deadbeef")).toBeUndefined();
  });

  test("register a worker of another node, or name another node: 403", async () => {
    rediscovered("gpu2-00000001", "gpu2");
    const gpu1 = callbacks(server.queen.callbackTokens.issueForNode("gpu1"));
    expect((await gpu1.post("/v1/workers/register", registration("gpu2-00000001"))).status).toBe(403);
    expect((await gpu1.post("/v1/workers/register", { ...registration("gpu1-00000001"), node_name: "gpu2" })).body.error.code).toBe("FORBIDDEN");
    expect(server.queen.workers.get("gpu2-00000001")?.node_name).toBe("gpu2");
  });

  test("update or heartbeat a worker of another node: 403, and the worker is unchanged", async () => {
    rediscovered("gpu2-00000002", "gpu2");
    const before = server.queen.workers.get("gpu2-00000002")!;
    const gpu1 = callbacks(server.queen.callbackTokens.issueForNode("gpu1"));
    const update = await gpu1.post("/v1/workers/update", { worker_id: "gpu2-00000002", state: "busy", slots_available: 0 });
    expect(update.status).toBe(403);
    expect(update.body.error.code).toBe("FORBIDDEN");
    const heartbeat = await gpu1.post("/v1/workers/heartbeat", { worker_id: "gpu2-00000002", slots_available: 0 });
    expect(heartbeat.status).toBe(403);
    expect(server.queen.workers.get("gpu2-00000002")).toMatchObject({ state: before.state, slots_available: before.slots_available });
  });
});

describe("what the hive's relay does with it still works", () => {
  test("after a queen restart: register again, heartbeat and update a worker of its own node", async () => {
    rediscovered("gpu1-00000003", "gpu1");
    const gpu1 = callbacks(server.queen.callbackTokens.issueForNode("gpu1"));
    const again = await gpu1.post("/v1/workers/register", { ...registration("gpu1-00000003"), node_name: "gpu1" });
    expect(again.status).toBe(200);
    expect((await gpu1.post("/v1/workers/heartbeat", { worker_id: "gpu1-00000003", slots_available: 1 })).body.worker.slots_available).toBe(1);
    expect((await gpu1.post("/v1/workers/update", { worker_id: "gpu1-00000003", state: "busy", slots_available: 0 })).body.worker.state).toBe("busy");
    // An unknown worker is 404, the relay's cue to send its registration again.
    expect((await gpu1.post("/v1/workers/heartbeat", { worker_id: "gpu1-0000dead" })).body.error.code).toBe("WORKER_NOT_FOUND");
  });

  test("a spawned worker: its per-spawn token registers it, its node's token heartbeats it", async () => {
    const id = "gpu1-00000004";
    const own = callbacks(server.queen.callbackTokens.issue(id, "gpu1"));
    expect((await own.post("/v1/workers/register", { ...registration(id), node_name: "gpu1" })).status).toBe(201);
    const gpu1 = callbacks(server.queen.callbackTokens.issueForNode("gpu1"));
    expect((await gpu1.post("/v1/workers/heartbeat", { worker_id: id, slots_available: 2 })).status).toBe(200);
    // Registering it is for its own token only, even on its node.
    const taken = await gpu1.post("/v1/workers/register", { ...registration(id), node_name: "gpu1" });
    expect(taken.status).toBe(403);
    expect(taken.body.error.message).toContain("per-spawn token");
    expect((await callbacks(server.queen.callbackTokens.issueForNode("gpu2")).post("/v1/workers/heartbeat", { worker_id: id })).status).toBe(403);
  });

  test("an id it does not know makes the queen ask that node's hive: what the hive runs is registered, as the hive reports it", async () => {
    server.queen.beehives.add(
      { node_name: "gpu3", ssh_host: "gpu3.invalid", ssh_port: 22, ssh_user: "u", git_repo_url: "file:///r.git", git_branch: "main", install_path: "/x" },
      "ready",
    );
    const running: HiveWorker = { id: "gpu3-0000beef", pid: 7, url: "http://127.0.0.1:9400", model_ref: "tiny", backend: "cpu", device: 0, state: "idle", slots_total: 1, slots_available: 1, token: "api" };
    const attach = vi.spyOn(server.queen.fleet.hives, "attach").mockResolvedValue({ client: { listWorkers: async () => [running] } } as unknown as HiveHandle);
    const gpu3 = callbacks(server.queen.callbackTokens.issueForNode("gpu3"));
    // The caller's data is not what gets registered: the URL here is not the hive's.
    const first = await gpu3.post("/v1/workers/register", registration("gpu3-0000beef", "http://127.0.0.1:6666"));
    expect(first.status).toBe(403);
    await until(() => server.queen.workers.get("gpu3-0000beef") !== undefined, "the worker its hive runs to be registered");
    expect(attach).toHaveBeenCalled();
    expect(server.queen.workers.get("gpu3-0000beef")).toMatchObject({ url: "http://127.0.0.1:9400", node_name: "gpu3" });
    // Its relay's next try is a repeat of the hive's registration; another URL is a conflict.
    expect((await gpu3.post("/v1/workers/register", registration("gpu3-0000beef", "http://127.0.0.1:9400"))).status).toBe(200);
    expect((await gpu3.post("/v1/workers/register", registration("gpu3-0000beef", "http://127.0.0.1:6666"))).status).toBe(409);
    await server.queen.removeNode("gpu3").catch(() => {});
  });
});

describe("the user's token on the API port", () => {
  test("still registers any worker for any node (node_name required)", async () => {
    expect((await user.post("/v1/workers/register", { ...registration("manual-1"), node_name: "gpu9" })).status).toBe(201);
  });
});
