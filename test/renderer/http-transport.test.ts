import { describe, expect, it } from "vitest";
import { RbeeError } from "../../src/shared/contract/errors.js";
import type { Beehive } from "../../src/shared/contract/nodes.js";
import { createHttpApi } from "../../src/renderer/api/http-transport.js";
import { fakeFetch, json, sseResponse } from "./fake-fetch.js";

const BASE = "http://127.0.0.1:8080";
const TOKEN = "t0k3n";

const node: Beehive = {
  node_name: "gpu-box",
  ssh_host: "10.0.0.2",
  ssh_port: 22,
  ssh_user: "vince",
  ssh_key_path: null,
  git_repo_url: "https://example.org/rbee.git",
  git_branch: "main",
  install_path: "~/rbee",
  last_connected_unix: 1_700_000_000,
  status: "reachable",
  transport: "ssh",
};

const newNode = {
  node_name: "gpu-box",
  ssh_host: "10.0.0.2",
  ssh_user: "vince",
  git_repo_url: "https://example.org/rbee.git",
  install_path: "~/rbee",
};

describe("createHttpApi", () => {
  it("maps each method to its route with the bearer token", async () => {
    const { fetch, calls } = fakeFetch((call) => {
      const route = `${call.method} ${new URL(call.url).pathname}`;
      switch (route) {
        case "GET /health":
          return json(200, { status: "ok", version: "0.1.0" });
        case "GET /v2/registry/beehives/list":
          return json(200, { nodes: [node] });
        case "POST /v2/registry/beehives/test":
          return json(200, { ok: true, host_key_fingerprint: "SHA256:abc", known: false, latency_ms: 12 });
        case "POST /v2/registry/beehives/add":
          return json(201, { node, host_key_fingerprint: "SHA256:abc" });
        case "POST /v2/registry/beehives/remove":
          return json(200, { removed: true });
        case "GET /v1/workers/list":
          return json(200, { workers: [] });
        case "DELETE /v1/workers/w.1":
          return new Response(null, { status: 204 });
        default:
          return json(404, { error: { code: "ROUTE_NOT_FOUND", message: route } });
      }
    });
    const api = createHttpApi(`${BASE}/`, TOKEN, { fetch });

    expect(await api.health({})).toEqual({ status: "ok", version: "0.1.0" });
    expect(await api.listNodes({})).toEqual({ nodes: [node] });
    expect(await api.testNode(newNode)).toMatchObject({ host_key_fingerprint: "SHA256:abc", latency_ms: 12 });
    expect(await api.addNode(newNode)).toEqual({ node, host_key_fingerprint: "SHA256:abc" });
    await expect(api.removeNode({ node_name: "gpu-box" })).resolves.toEqual({ removed: true });
    expect(await api.listWorkers({})).toEqual({ workers: [] });
    await expect(api.stopWorker({ id: "w.1" })).resolves.toBeUndefined();

    for (const call of calls) {
      expect(call.url.startsWith(`${BASE}/`)).toBe(true);
      expect(call.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    }
    // Defaults are applied before sending; the remove body names the node.
    expect(calls[2]?.body).toMatchObject({ ssh_port: 22, git_branch: "main" });
    expect(calls[4]?.body).toEqual({ node_name: "gpu-box" });
  });

  it("turns error answers into RbeeErrors with code and details", async () => {
    const { fetch } = fakeFetch(() =>
      json(400, {
        error: {
          code: "INVALID_REQUEST",
          message: "Invalid request body (ssh_key_path: no such file)",
          details: [{ field: "ssh_key_path", message: "no such file" }],
        },
      }),
    );
    const api = createHttpApi(BASE, TOKEN, { fetch });
    const error = await api.testNode(newNode).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RbeeError);
    expect(error).toMatchObject({ code: "INVALID_REQUEST", details: [{ field: "ssh_key_path" }] });
  });

  it("checks arguments before sending anything", async () => {
    const { fetch, calls } = fakeFetch(() => json(200, {}));
    const api = createHttpApi(BASE, TOKEN, { fetch });
    await expect(api.addNode({ ...newNode, node_name: "Bad Name" })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      details: [{ field: "node_name" }],
    });
    await expect(api.stopWorker({ id: "../etc" })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    expect(calls).toHaveLength(0);
  });

  it("refuses answers that do not match the contract", async () => {
    const { fetch } = fakeFetch(() => json(200, { nodes: [{ node_name: "x" }] }));
    const api = createHttpApi(BASE, TOKEN, { fetch });
    await expect(api.listNodes({})).rejects.toMatchObject({ code: "INTERNAL" });
  });

  it("says when the queen cannot be reached, and when a 401 has no body", async () => {
    const down = createHttpApi(BASE, TOKEN, {
      fetch: fakeFetch(() => Promise.reject(new TypeError("fetch failed"))).fetch,
    });
    await expect(down.listWorkers({})).rejects.toThrow(/Cannot reach the queen at http:\/\/127\.0\.0\.1:8080/);
    const refused = createHttpApi(BASE, TOKEN, { fetch: fakeFetch(() => new Response("", { status: 401 })).fetch });
    await expect(refused.listWorkers({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("createHttpApi onEvent", () => {
  it("passes on only the events that match the contract, asking for deltas", async () => {
    const { fetch, calls } = fakeFetch((call) => {
      const stream = sseResponse(call.signal);
      stream.send({ type: "nodes", nodes: [{ bogus: true }] });
      stream.send({ type: "nodes", nodes: [node] });
      return stream.response;
    });
    const received: unknown[] = [];
    let stop = (): void => undefined;
    // The first event delivered: the invalid one was sent before it.
    await new Promise<void>((delivered) => {
      stop = createHttpApi(BASE, TOKEN, { fetch }).onEvent((event) => {
        received.push(event);
        delivered();
      });
    });
    stop();
    expect(received).toEqual([{ type: "nodes", nodes: [node] }]);
    // It asks for deltas after the snapshots on connect.
    expect(calls[0]?.url).toBe(`${BASE}/v1/events?deltas=1`);
  });
});
