// The callback listener is what every node's tunnel leads to: anyone on a node can reach it. These
// tests call it as such a process would (straight at its port) and check that it serves the three
// worker callbacks only, whatever the token, and that a flood of connections there leaves the API alone.
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CALLBACK_LISTENER_LIMITS, startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";
import { until } from "../helpers/until.js";
import { rawRequest } from "./raw-http.js";
import { workerRegistration } from "../helpers/worker-registration.js";

let home: string;
let server: QueenServer;

const registration = (id: string) => workerRegistration(id);

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-callbacks-"));
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: "", log: () => {} });
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

test("is its own loopback port, not the API's", () => {
  expect(server.callbackPort).toBeGreaterThan(0);
  expect(server.callbackPort).not.toBe(server.port);
});

test("the API is not there: the node list is 404 with the queen token, a node token or a per-spawn token", async () => {
  const tokens = [server.queen.token, server.queen.callbackTokens.issueForNode("gpu1"), server.queen.callbackTokens.issue("gpu1-0a0b0c0d", "gpu1"), "0".repeat(64)];
  for (const token of tokens) {
    for (const [method, path] of [["GET", "/v2/registry/beehives/list"], ["GET", "/v1/workers/list"], ["GET", "/health"], ["GET", "/openapi.json"], ["GET", "/"], ["POST", "/v2/registry/beehives/add"]] as const) {
      const answer = await rawRequest(server.callbackPort, path, { method, headers: { host: "127.0.0.1:40123", authorization: `Bearer ${token}` } });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error.code).toBe("ROUTE_NOT_FOUND");
      expect(answer.body.nodes).toBeUndefined();
    }
  }
});

test("the callbacks are there, behind a token: 401 without one, the worker's own token registers it", async () => {
  const callbacks = `http://127.0.0.1:${server.callbackPort}`;
  expect((await jsonClient(callbacks).post("/v1/workers/register", registration("gpu1-00000001"))).status).toBe(401);
  const token = server.queen.callbackTokens.issue("gpu1-00000001", "gpu1");
  const registered = await jsonClient(callbacks, token).post("/v1/workers/register", registration("gpu1-00000001"));
  expect(registered.status).toBe(201);
  expect(registered.body.worker).toMatchObject({ id: "gpu1-00000001", node_name: "gpu1" });
  await server.service.stopWorker({ id: "gpu1-00000001" });
});

/** Opens `count` connections to a port and holds them; resolves once each is connected or already closed. */
async function holdConnections(port: number, count: number): Promise<{ sockets: Socket[]; closed: () => number }> {
  let closed = 0;
  const sockets = await Promise.all(
    Array.from({ length: count }, () => new Promise<Socket>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      socket.once("connect", () => resolve(socket));
      socket.once("close", () => {
        closed += 1;
        resolve(socket);
      });
    })),
  );
  return { sockets, closed: () => closed };
}

test("200 connections held open there: the API answers /health at once, the listener keeps at most its cap and recovers", async () => {
  const flood = await holdConnections(server.callbackPort, 200);
  try {
    // The listener drops what is beyond its cap as it accepts it.
    await until(() => flood.closed() >= 200 - CALLBACK_LISTENER_LIMITS.maxConnections, "the connections beyond the cap to be dropped");
    // At most the cap stays open (fewer when earlier keep-alive connections hold some of it).
    expect(200 - flood.closed()).toBeLessThanOrEqual(CALLBACK_LISTENER_LIMITS.maxConnections);
    expect(200 - flood.closed()).toBeGreaterThan(0);

    const started = performance.now();
    const health = await jsonClient(server.baseUrl).get("/health");
    expect(health.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await jsonClient(server.baseUrl, server.queen.token).get("/v2/registry/beehives/list")).status).toBe(200);
  } finally {
    for (const socket of flood.sockets) socket.destroy();
  }
  // Once they are gone, a worker's callback gets through again.
  const token = server.queen.callbackTokens.issue("gpu1-00000002", "gpu1");
  const callbacks = jsonClient(`http://127.0.0.1:${server.callbackPort}`, token);
  const statuses: (number | string)[] = [];
  // Each try is a round trip: the listener notices the closed connections as it goes.
  const deadline = Date.now() + 10_000;
  while (statuses.at(-1) !== 201 && Date.now() < deadline) {
    statuses.push(await callbacks.post("/v1/workers/register", registration("gpu1-00000002")).then((a) => a.status, (e: Error) => e.message));
  }
  expect(statuses.at(-1), `tries: ${statuses.join(", ")}`).toBe(201);
  await server.service.stopWorker({ id: "gpu1-00000002" });
});
