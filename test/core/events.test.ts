import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { QueenEvent } from "../../src/shared/contract/index.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";
import { sseMessages } from "../helpers/sse.js";

let home: string;
let server: QueenServer;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-events-"));
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, log: () => {} });
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

test("/v1/events sends snapshots on connect and after each change", async () => {
  const api = jsonClient(server.baseUrl, server.queen.token);
  const abort = new AbortController();
  const response = await fetch(`${server.baseUrl}/v1/events`, {
    headers: { authorization: `Bearer ${server.queen.token}` },
    signal: abort.signal,
  });
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const messages = sseMessages(response.body!);
  const stats: QueenEvent[] = [];
  // The node, worker, download and exit snapshots; the worker stats and device figures on the same feed are kept aside.
  const next = async (): Promise<QueenEvent> => {
    for (;;) {
      const { value } = await messages.next();
      const event = QueenEvent.parse(JSON.parse(value!.data));
      if (event.type === "nodes" || event.type === "workers" || event.type === "downloads" || event.type === "exits") return event;
      stats.push(event);
    }
  };

  expect(await next()).toEqual({ type: "nodes", nodes: [] });
  expect(await next()).toEqual({ type: "workers", workers: [] });
  expect(await next()).toEqual({ type: "downloads", downloads: [] });
  expect(await next()).toEqual({ type: "exits", exits: [] });

  await api.post("/v1/workers/register", {
    worker_id: "w1",
    url: "http://127.0.0.1:9301",
    model_ref: "tinyllama",
    backend: "cpu",
    device: 0,
    slots_total: 1,
    slots_available: 1,
    node_name: "mac",
  });
  const registered = await next();
  expect(registered.type === "workers" && registered.workers.map((w) => w.id)).toEqual(["w1"]);

  await api.post("/v1/workers/update", { worker_id: "w1", state: "busy", slots_available: 0 });
  const busy = await next();
  expect(busy.type === "workers" && busy.workers[0]?.state).toBe("busy");

  await api.post("/v2/registry/beehives/add?verify=false", {
    node_name: "mac",
    ssh_host: "mac.home.arpa",
    ssh_user: "vince",
    git_repo_url: "https://example.invalid/rbee.git",
    install_path: "~/rbee",
  });
  const nodes = await next();
  expect(nodes.type === "nodes" && nodes.nodes.map((n) => [n.node_name, n.status])).toEqual([["mac", "unknown"]]);

  await api.delete("/v1/workers/w1");
  expect(await next()).toEqual({ type: "workers", workers: [] });
  abort.abort();
  expect(stats.slice(0, 2)).toEqual([
    { type: "worker_stats", stats: [] },
    { type: "devices", nodes: [] },
  ]);
  // A worker that ran nothing has no figures: its registration sends no stats.
  expect(stats.filter((event) => event.type === "worker_stats")).toHaveLength(1);
});

test("a burst of changes is coalesced into few snapshots, the last one complete", async () => {
  const api = jsonClient(server.baseUrl, server.queen.token);
  const abort = new AbortController();
  const response = await fetch(`${server.baseUrl}/v1/events`, {
    headers: { authorization: `Bearer ${server.queen.token}` },
    signal: abort.signal,
  });
  const messages = sseMessages(response.body!);
  for (let first = 0; first < 6; first += 1) await messages.next(); // nodes, workers, downloads, worker_stats, devices, exits
  const ids = Array.from({ length: 50 }, (_, i) => `burst-${i}`);
  for (const id of ids) {
    server.queen.workers.register(
      { worker_id: id, url: `http://127.0.0.1:${10000 + ids.indexOf(id)}`, model_ref: "m", backend: "cpu", device: 0, slots_total: 1, slots_available: 1 },
      "mac",
    );
  }
  const { value } = await messages.next();
  const event = QueenEvent.parse(JSON.parse(value!.data));
  expect(event.type === "workers" && event.workers.length).toBe(50);
  abort.abort();
  for (const id of ids) await api.delete(`/v1/workers/${id}`);
});
