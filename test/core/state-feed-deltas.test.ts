// The state feed's delta mode on a real queen (in-process, its real registries): what one tick of
// changes turns into, and what a reader that falls behind is sent once it has caught up, through
// the feed and through a real HTTP reader that stops reading while tens of thousands of changes happen.
import { mkdtempSync, rmSync } from "node:fs";
import { get, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { DOWNLOADS_INTERVAL_MS, subscribeToState } from "../../src/core/service/state-feed.js";
import { EVENTS_BACKLOG_BYTES } from "../../src/core/http/api-routes.js";
import { QueenEvent, type RegisterWorkerRequest } from "../../src/shared/contract/index.js";
import { SseParser } from "../helpers/sse.js";
import { until } from "../helpers/until.js";
import { WorkersView, byId } from "../helpers/workers-view.js";

const MIB = 1024 * 1024;
const SNAPSHOT_TYPES = ["nodes", "workers", "downloads", "worker_stats", "devices", "exits"];

let home: string;
let server: QueenServer;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-deltas-"));
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, log: () => {} });
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

const registration = (id: string): RegisterWorkerRequest => ({
  worker_id: id,
  url: `http://127.0.0.1:${20_000 + Number(id.replace(/\D/g, "") || 0)}`,
  model_ref: "tinyllama",
  backend: "cpu",
  device: 0,
  slots_total: 4,
  slots_available: 4,
});

/** After the flushes already scheduled (the feed flushes a tick's changes on setImmediate). */
const afterFlush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The events a feed sent after its six snapshots on subscribing. */
function subscribe(options: Parameters<typeof subscribeToState>[2]) {
  const events: QueenEvent[] = [];
  const dispose = subscribeToState(server.queen, (event) => events.push(event), { liveDevices: false, ...options });
  expect(events.map((event) => event.type)).toEqual(SNAPSHOT_TYPES);
  events.length = 0;
  return { events, dispose };
}

test("a tick of worker changes is one delta per worker, as it is at the end of the tick", async () => {
  const { workers } = server.queen;
  const feed = subscribe({ deltas: true });
  // One tick: 40 registrations, a heartbeat with new free slots for each, 10 removed, and one both added and removed.
  for (let i = 0; i < 40; i++) workers.register(registration(`w${i}`), "box");
  for (let i = 0; i < 40; i++) workers.heartbeat({ worker_id: `w${i}`, slots_available: i % 4 });
  for (let i = 0; i < 10; i++) workers.remove(`w${i}`);
  workers.register(registration("w99"), "box");
  workers.remove("w99");
  await until(() => feed.events.length > 0, "the tick's deltas");
  // The whole tick came in one flush: nothing trails behind.
  await afterFlush();

  const byId = new Map(feed.events.map((event) => [event.type === "worker" ? event.worker.id : event.type, event]));
  expect(feed.events).toHaveLength(41);
  expect(byId.size).toBe(41);
  for (let i = 0; i < 10; i++) expect(byId.get(`w${i}`)).toMatchObject({ type: "worker", op: "remove" });
  expect(byId.get("w99")).toMatchObject({ type: "worker", op: "remove", worker: { id: "w99" } });
  for (let i = 10; i < 40; i++) expect(byId.get(`w${i}`)).toEqual({ type: "worker", op: "upsert", worker: workers.get(`w${i}`) });
  expect(workers.get("w13")?.slots_available).toBe(1);
  feed.dispose();
  for (let i = 10; i < 40; i++) workers.remove(`w${i}`);
});

test("without deltas the same tick is one whole workers snapshot", async () => {
  const { workers } = server.queen;
  const feed = subscribe({});
  for (let i = 0; i < 20; i++) workers.register(registration(`s${i}`), "box");
  for (let i = 0; i < 5; i++) workers.remove(`s${i}`);
  await until(() => feed.events.length > 0, "the tick's snapshot");
  await afterFlush();
  expect(feed.events).toEqual([{ type: "workers", workers: workers.list() }]);
  expect(workers.list()).toHaveLength(15);
  feed.dispose();
  for (let i = 5; i < 20; i++) workers.remove(`s${i}`);
});

test("node and download changes are deltas too; downloads at most every DOWNLOADS_INTERVAL_MS", async () => {
  const { beehives, fleet } = server.queen;
  const feed = subscribe({ deltas: true });
  beehives.add({ node_name: "gpu-1", transport: "local" });
  beehives.updateStatus("gpu-1", "ready", 1_700_000_000);
  await until(() => feed.events.length > 0, "the node delta");
  expect(feed.events.splice(0)).toEqual([{ type: "node", op: "upsert", node: beehives.get("gpu-1") }]);
  expect(beehives.get("gpu-1")?.status).toBe("ready");

  const started = performance.now();
  const transfer = fleet.transfers.track({ kind: "download", node_name: "gpu-1", model_ref: "hf:org/repo" });
  for (let bytes = 1; bytes <= 100; bytes++) transfer.update(bytes * 1000, 100_000);
  await until(() => feed.events.length > 0, "the download delta");
  expect(feed.events.splice(0)).toEqual([
    { type: "download", op: "upsert", download: { kind: "download", node_name: "gpu-1", model_ref: "hf:org/repo", bytes: 100_000, bytes_total: 100_000 } },
  ]);
  transfer.end();
  await until(() => feed.events.length > 0, "the download's removal");
  // The subscription sent its snapshots just before: the first delta waited for the interval.
  expect(performance.now() - started).toBeGreaterThanOrEqual(DOWNLOADS_INTERVAL_MS - 50);
  expect(feed.events.splice(0)).toMatchObject([{ type: "download", op: "remove", download: { model_ref: "hf:org/repo" } }]);

  beehives.remove("gpu-1");
  await until(() => feed.events.length > 0, "the node's removal");
  expect(feed.events).toMatchObject([{ type: "node", op: "remove", node: { node_name: "gpu-1", status: "ready" } }]);
  feed.dispose();
});

test("a reader behind gets nothing until it caught up, then fresh snapshots of everything (none when nothing changed)", async () => {
  const { workers } = server.queen;
  let behind = false;
  let caughtUp: () => void = () => {};
  const feed = subscribe({
    deltas: true,
    behind: () => (behind ? new Promise<void>((resolve) => (caughtUp = resolve)) : undefined),
  });
  behind = true;
  workers.register(registration("b1"), "box");
  await until(() => feed.events.length > 0, "the delta that found the reader behind");
  expect(feed.events.splice(0)).toMatchObject([{ type: "worker", op: "upsert", worker: { id: "b1" } }]);
  behind = false;
  // A thousand changes while it catches up: none is sent nor kept.
  for (let i = 0; i < 1000; i++) workers.heartbeat({ worker_id: "b1", slots_available: i % 4 });
  workers.register(registration("b2"), "box");
  await afterFlush();
  expect(feed.events).toEqual([]);
  caughtUp();
  await until(() => feed.events.length >= 6, "the fresh snapshots");
  expect(feed.events.map((event) => event.type)).toEqual(SNAPSHOT_TYPES);
  expect(feed.events[1]).toEqual({ type: "workers", workers: workers.list() });
  feed.events.length = 0;

  // Behind again, and nothing changes meanwhile: catching up sends nothing.
  behind = true;
  workers.remove("b1");
  await until(() => feed.events.length > 0, "the removal");
  behind = false;
  caughtUp();
  await afterFlush();
  expect(feed.events).toMatchObject([{ type: "worker", op: "remove", worker: { id: "b1" } }]);

  // And it goes on with deltas.
  workers.remove("b2");
  await until(() => feed.events.length > 1, "the next delta");
  expect(feed.events[1]).toMatchObject({ type: "worker", op: "remove", worker: { id: "b2" } });
  feed.events.length = 0;

  // Behind at the first delta of a tick: the tick's other changes, never sent, are caught up on too.
  behind = true;
  server.queen.beehives.add({ node_name: "late", transport: "local" });
  workers.register(registration("b3"), "box");
  await until(() => feed.events.length > 0, "the node delta");
  behind = false;
  caughtUp();
  await until(() => feed.events.length >= 7, "the fresh snapshots");
  expect(feed.events.map((event) => event.type)).toEqual(["node", ...SNAPSHOT_TYPES]);
  expect(feed.events[2]).toEqual({ type: "workers", workers: workers.list() });
  feed.dispose();
  workers.remove("b3");
  server.queen.beehives.remove("late");
});

/** A raw HTTP reader of `/v1/events?deltas=1` that can stop reading its socket; each event with the bytes read up to it. */
async function rawReader() {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    get(`${server.baseUrl}/v1/events?deltas=1`, { headers: { authorization: `Bearer ${server.queen.token}` } }, resolve).on("error", reject);
  });
  const parser = new SseParser();
  const view = new WorkersView();
  const events: { readonly type: string; readonly bytesRead: number }[] = [];
  let bytesRead = 0;
  response.setEncoding("utf8");
  response.on("data", (text: string) => {
    bytesRead += Buffer.byteLength(text);
    for (const message of parser.push(text)) {
      const event = QueenEvent.parse(JSON.parse(message.data));
      events.push({ type: event.type, bytesRead });
      view.apply(event);
    }
  });
  await until(() => events.length >= SNAPSHOT_TYPES.length, "the first snapshots");
  return { response, view, events, bytesRead: () => bytesRead };
}

test("an HTTP reader that stops reading costs no backlog: once it reads again it gets fresh snapshots", async () => {
  const { workers } = server.queen;
  const reader = await rawReader();
  reader.response.pause();
  const pausedAt = reader.bytesRead();

  // 150 workers whose every change is a ~2.2 kB delta, each changed in 200 ticks: over 60 MiB of deltas.
  const ids = Array.from({ length: 150 }, (_, i) => `r${i}`);
  for (const id of ids) workers.register({ ...registration(id), model_ref: `hf:org/${"m".repeat(2000)}` }, "box");
  const rounds = 200;
  for (let round = 1; round <= rounds; round++) {
    for (const [i, id] of ids.entries()) workers.heartbeat({ worker_id: id, slots_available: (i + round) % 4 });
    await afterFlush();
  }
  const produced = ids.length * (rounds + 1) * JSON.stringify({ type: "worker", op: "upsert", worker: workers.get("r0") }).length;

  reader.response.resume();
  const expected = byId(workers.list());
  await until(() => JSON.stringify(reader.view.list()) === JSON.stringify(expected), "the reader's view matching the registry");
  // After what its socket already held, the reader got fresh snapshots of everything.
  const resync = reader.events.findIndex((event, index) => index >= SNAPSHOT_TYPES.length && event.type === "nodes");
  expect(resync).toBeGreaterThan(SNAPSHOT_TYPES.length);
  expect(reader.events.slice(resync, resync + SNAPSHOT_TYPES.length).map((event) => event.type)).toEqual(SNAPSHOT_TYPES);
  // What the queen had queued for it is what it read before the resync: the sockets' buffers plus the bound, not the changes.
  const backlog = reader.events[resync]!.bytesRead - pausedAt;
  console.log(
    `slow reader: ${ids.length * (rounds + 1)} changes (${(produced / MIB).toFixed(1)} MiB as deltas) while it did not read; ` +
      `${(backlog / MIB).toFixed(1)} MiB were waiting for it (bound ${EVENTS_BACKLOG_BYTES / MIB} MiB + socket buffers)`,
  );
  expect(produced).toBeGreaterThan(60 * MIB);
  expect(backlog).toBeGreaterThan(EVENTS_BACKLOG_BYTES);
  expect(backlog).toBeLessThan(produced / 4);
  reader.response.destroy();
  for (const id of ids) workers.remove(id);
}, 60_000);

test("a reader of a fleet whose snapshots alone exceed the bound gets them once, then only deltas", async () => {
  const { workers } = server.queen;
  // 4,000 workers of ~2.2 kB each: the workers snapshot alone is ~8 MiB, eight times the bound.
  const ids = Array.from({ length: 4000 }, (_, i) => `big${i}`);
  for (const id of ids) workers.register({ ...registration(id), model_ref: `hf:org/${"m".repeat(2000)}` }, "box");
  const snapshotBytes = JSON.stringify({ type: "workers", workers: workers.list() }).length;
  expect(snapshotBytes).toBeGreaterThan(8 * EVENTS_BACKLOG_BYTES);

  const reader = await rawReader();
  for (let round = 1; round <= 20; round++) {
    for (const id of ids.slice(round * 100, round * 100 + 100)) workers.heartbeat({ worker_id: id, slots_available: round % 4 });
    await afterFlush();
  }
  const expected = byId(workers.list());
  await until(() => JSON.stringify(reader.view.list()) === JSON.stringify(expected), "the reader's view matching the registry", 30_000);
  // Read as fast as it came: the snapshots once, then the 2,000 heartbeats as deltas, no resync.
  const types = reader.events.map((event) => event.type);
  expect(types.slice(0, SNAPSHOT_TYPES.length)).toEqual(SNAPSHOT_TYPES);
  expect(types.filter((type) => type === "workers")).toHaveLength(1);
  expect(types.filter((type) => type === "worker")).toHaveLength(2000);
  reader.response.destroy();
  for (const id of ids) workers.remove(id);
}, 60_000);
