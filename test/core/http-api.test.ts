import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";

let home: string;
let server: QueenServer;
let api: ReturnType<typeof jsonClient>;

const worker = (id: string) => ({
  worker_id: id,
  url: "http://127.0.0.1:9301",
  model_ref: "file:/models/tiny.gguf",
  backend: "cpu",
  device: 0,
  slots_total: 2,
  slots_available: 2,
  node_name: "mac",
});

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-http-"));
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, log: () => {} });
  api = jsonClient(server.baseUrl, server.queen.token);
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

describe("the token", () => {
  test("is 32+ random bytes hex in RBEE_HOME/token, mode 0600", () => {
    expect(server.queen.token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(home, "token")).mode & 0o777).toBe(0o600);
    expect(server.uiUrl).toBe(`${server.baseUrl}/#token=${server.queen.token}`);
  });

  test.each([
    ["GET", "/v2/registry/beehives/list"],
    ["POST", "/v2/registry/beehives/add"],
    ["POST", "/v2/registry/beehives/test"],
    ["POST", "/v2/registry/beehives/remove"],
    ["GET", "/v1/workers/list"],
    ["POST", "/v1/workers/register"],
    ["POST", "/v1/workers/update"],
    ["POST", "/v1/workers/heartbeat"],
    ["DELETE", "/v1/workers/w1"],
    ["GET", "/v1/events"],
    ["GET", "/v1/nothing-here"],
  ])("%s %s needs it: 401 without, 401 with a wrong one", async (method, path) => {
    for (const token of [undefined, "0".repeat(64), `${server.queen.token}x`]) {
      const client = jsonClient(server.baseUrl, token);
      const answer = method === "GET" ? await client.get(path) : method === "DELETE" ? await client.delete(path) : await client.post(path, {});
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe("UNAUTHORIZED");
    }
  });

  test("/health and the UI need none", async () => {
    const health = await jsonClient(server.baseUrl).get("/health");
    expect(health).toEqual({ status: 200, body: { status: "ok", version: expect.any(String) } });
    const ui = await fetch(`${server.baseUrl}/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get("content-security-policy")).toContain("default-src 'self'");
  });
});

describe("bodies are validated", () => {
  const validNode = {
    node_name: "mac",
    ssh_host: "127.0.0.1",
    ssh_user: "root",
    git_repo_url: "file:///tmp/rbee.git",
    install_path: "/tmp/rbee",
  };
  const cases: [string, unknown, string[]][] = [
    ["/v2/registry/beehives/add", {}, ["node_name", "ssh_host", "ssh_user", "git_repo_url", "install_path"]],
    ["/v2/registry/beehives/add", { ...validNode, node_name: "Mac;rm" }, ["node_name"]],
    ["/v2/registry/beehives/add", { ...validNode, ssh_port: 70000 }, ["ssh_port"]],
    ["/v2/registry/beehives/add", { ...validNode, ssh_port: "22" }, ["ssh_port"]],
    ["/v2/registry/beehives/add", { ...validNode, git_repo_url: "http://x/y.git" }, ["git_repo_url"]],
    ["/v2/registry/beehives/add", { ...validNode, git_branch: "--upload-pack=x" }, ["git_branch"]],
    ["/v2/registry/beehives/add", { ...validNode, install_path: "relative/path" }, ["install_path"]],
    ["/v2/registry/beehives/add", { ...validNode, surprise: 1 }, ["(body)"]],
    ["/v2/registry/beehives/test", { ...validNode, ssh_host: "-oProxyCommand=x" }, ["ssh_host"]],
    ["/v2/registry/beehives/remove", { node_name: 5 }, ["node_name"]],
    ["/v1/workers/register", { ...worker("w1"), url: "ftp://x" }, ["url"]],
    ["/v1/workers/register", { ...worker("w1"), slots_available: 3 }, ["slots_available"]],
    ["/v1/workers/register", { ...worker("w1"), backend: "tpu" }, ["backend"]],
    ["/v1/workers/update", { worker_id: "w1", state: "sleeping" }, ["state"]],
    ["/v1/workers/heartbeat", { worker_id: "", slots_available: -1 }, ["worker_id", "slots_available"]],
  ];
  test.each(cases)("POST %s %j → 400 with details for %j", async (path, body, fields) => {
    const answer = await api.post(path, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("INVALID_REQUEST");
    const detailFields = answer.body.error.details.map((d: { field: string }) => d.field);
    for (const field of fields) expect(detailFields).toContain(field);
  });

  test("malformed JSON is a 400, a body over 1 MiB a 413", async () => {
    const malformed = await api.postRaw("/v2/registry/beehives/add", "{nope");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("INVALID_REQUEST");
    const huge = await api.postRaw("/v1/workers/register", JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) }));
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toMatch(/1 MiB/);
  });

  test("an invalid worker id in the path is a 400", async () => {
    const answer = await api.delete("/v1/workers/..%2Fetc");
    expect(answer.status).toBe(400);
  });
});

describe("workers", () => {
  test("register → list → update → heartbeat → delete", async () => {
    expect((await api.post("/v1/workers/register", worker("w1"))).status).toBe(201);
    expect((await api.post("/v1/workers/register", worker("w1"))).status).toBe(200);
    const conflict = await api.post("/v1/workers/register", { ...worker("w1"), url: "http://127.0.0.1:1" });
    expect(conflict.status).toBe(409);
    const list = await api.get("/v1/workers/list");
    expect(list.body.workers).toEqual([
      {
        id: "w1",
        url: "http://127.0.0.1:9301",
        model_ref: "file:/models/tiny.gguf",
        backend: "cpu",
        device: 0,
        state: "idle",
        slots_total: 2,
        slots_available: 2,
        vram_bytes: null,
        node_name: "mac",
        last_heartbeat_unix: expect.any(Number),
      },
    ]);
    const updated = await api.post("/v1/workers/update", { worker_id: "w1", state: "busy", slots_available: 1 });
    expect(updated.status).toBe(200);
    expect(updated.body.worker).toMatchObject({ state: "busy", slots_available: 1 });
    expect((await api.post("/v1/workers/heartbeat", { worker_id: "w1", slots_available: 2 })).body.worker.slots_available).toBe(2);
    expect((await api.post("/v1/workers/update", { worker_id: "ghost" })).status).toBe(404);
    expect((await api.post("/v1/workers/heartbeat", { worker_id: "ghost" })).body.error.code).toBe("WORKER_NOT_FOUND");
    expect((await api.delete("/v1/workers/w1")).status).toBe(204);
    expect((await api.delete("/v1/workers/w1")).status).toBe(404);
    expect((await api.get("/v1/workers/list")).body.workers).toEqual([]);
  });

  test("with the queen token, node_name is required", async () => {
    const { node_name: _, ...anonymous } = worker("w2");
    const answer = await api.post("/v1/workers/register", anonymous);
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ field: "node_name", message: "required" }]);
  });

  test("a per-spawn token registers only its own worker, on the callback listener only, and reaches nothing else", async () => {
    const token = server.queen.callbackTokens.issue("w-own", "gpu1");
    const client = jsonClient(`http://127.0.0.1:${server.callbackPort}`, token);
    const { node_name: _, ...body } = worker("w-own");
    // The API port takes the queen token only: what a node reaches is the callback listener.
    expect((await jsonClient(server.baseUrl, token).post("/v1/workers/register", body)).status).toBe(401);
    const registered = await client.post("/v1/workers/register", body);
    expect(registered.status).toBe(201);
    expect(registered.body.worker.node_name).toBe("gpu1");
    expect((await client.post("/v1/workers/heartbeat", { worker_id: "w-own" })).status).toBe(200);
    expect((await client.post("/v1/workers/register", { ...body, worker_id: "w-other" })).body.error.code).toBe("FORBIDDEN");
    expect((await client.post("/v1/workers/update", { worker_id: "w-other" })).status).toBe(403);
    expect((await jsonClient(server.baseUrl, token).get("/v1/workers/list")).status).toBe(401);
    expect((await jsonClient(server.baseUrl, token).get("/v2/registry/beehives/list")).status).toBe(401);
    expect((await jsonClient(server.baseUrl, token).delete("/v1/workers/w-own")).status).toBe(401);
    expect((await client.get("/v1/workers/list")).status).toBe(404);
    await api.delete("/v1/workers/w-own");
    expect((await client.post("/v1/workers/heartbeat", { worker_id: "w-own" })).status).toBe(401);
  });
});

describe("nodes without SSH", () => {
  test("?verify=false stores a node as unknown; list and remove", async () => {
    const added = await api.post("/v2/registry/beehives/add?verify=false", {
      node_name: "later",
      ssh_host: "later.home.arpa",
      ssh_user: "me",
      git_repo_url: "git@github.com:me/rbee.git",
      install_path: "~/rbee",
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ node: { node_name: "later", status: "unknown", git_branch: "main" }, host_key_fingerprint: null });
    expect((await api.get("/v2/registry/beehives/list")).body.nodes.map((n: { node_name: string }) => n.node_name)).toContain("later");
    expect((await api.post("/v2/registry/beehives/remove", { node_name: "later" })).body).toEqual({ removed: true });
    const again = await api.post("/v2/registry/beehives/remove", { node_name: "later" });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("NODE_NOT_FOUND");
  });
});
