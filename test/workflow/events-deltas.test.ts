// `GET /v1/events?deltas=1` on a real queen process over real HTTP: the deltas a reader gets add
// up to the queen's worker list, and a default reader still gets whole lists. (A reader that stops
// reading: test/core/state-feed-deltas.test.ts, where tens of thousands of changes take no minute.)
import { afterAll, beforeAll, expect, test } from "vitest";
import { applyEvent, fleetView, INITIAL_FLEET_STATE, type FleetState } from "../../src/renderer/state/fleet-store.js";
import { QueenEvent, type RegisteredWorker } from "../../src/shared/contract/index.js";
import { jsonClient } from "../helpers/http-client.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { sseMessages } from "../helpers/sse.js";
import { until } from "../helpers/until.js";
import { byId, WorkersView } from "../helpers/workers-view.js";

const SNAPSHOT_TYPES = ["nodes", "workers", "downloads", "worker_stats", "devices", "exits"];

let queen: QueenProcess;
let api: ReturnType<typeof jsonClient>;

beforeAll(async () => {
  queen = await startQueen();
  api = jsonClient(queen.baseUrl, queen.token);
});
afterAll(async () => {
  await queen?.stop();
});

const register = (id: string) =>
  api.post("/v1/workers/register", {
    worker_id: id,
    url: `http://127.0.0.1:${20_000 + Number(id.replace(/\D/g, ""))}`,
    model_ref: "tinyllama",
    backend: "cpu",
    device: 0,
    slots_total: 4,
    slots_available: 4,
    node_name: "box",
  });

async function all(answers: Promise<{ status: number }>[], status: number): Promise<void> {
  const statuses = (await Promise.all(answers)).map((answer) => answer.status);
  expect(statuses.filter((got) => got !== status)).toEqual([]);
}

const listed = async (): Promise<RegisteredWorker[]> => byId((await api.get("/v1/workers/list")).body.workers);

/** Reads `/v1/events` with `query` through fetch, keeping every event. */
async function readEvents(query: string) {
  const abort = new AbortController();
  const response = await fetch(`${queen.baseUrl}/v1/events${query}`, { headers: { authorization: `Bearer ${queen.token}` }, signal: abort.signal });
  expect(response.status).toBe(200);
  const events: QueenEvent[] = [];
  const view = new WorkersView();
  // The renderer's own store, fed the same events.
  let store: FleetState = INITIAL_FLEET_STATE;
  void (async () => {
    for await (const message of sseMessages(response.body!)) {
      const event = QueenEvent.parse(JSON.parse(message.data));
      events.push(event);
      view.apply(event);
      store = applyEvent(store, event);
    }
  })().catch(() => undefined);
  await until(() => events.length >= SNAPSHOT_TYPES.length, "the first snapshots");
  expect(events.slice(0, SNAPSHOT_TYPES.length).map((event) => event.type)).toEqual(SNAPSHOT_TYPES);
  return { events, view, store: () => store, close: () => abort.abort() };
}

test("a deltas reader gets snapshots, then worker deltas that add up to the list after a burst", async () => {
  const reader = await readEvents("?deltas=1");
  const ids = Array.from({ length: 300 }, (_, i) => `d${i}`);
  await all(ids.map((id) => register(id)), 201);
  await all(ids.map((id, i) => api.post("/v1/workers/heartbeat", { worker_id: id, slots_available: i % 4 })), 200);
  await all(ids.slice(0, 100).map((id) => api.delete(`/v1/workers/${id}`)), 204);

  const expected = await listed();
  expect(expected).toHaveLength(200);
  expect(expected.filter((worker) => worker.slots_available !== 4).length).toBeGreaterThan(100);
  await until(() => JSON.stringify(reader.view.list()) === JSON.stringify(expected), "the deltas adding up to /v1/workers/list");
  // The first snapshot only: everything after came as deltas, at most one per change.
  expect(reader.view.snapshots).toBe(1);
  expect(reader.view.deltas).toBeGreaterThanOrEqual(300);
  expect(reader.view.deltas).toBeLessThanOrEqual(300 + 300 + 100);
  expect(reader.events.filter((event) => event.type === "workers")).toHaveLength(1);
  reader.close();
  await all(ids.slice(100).map((id) => api.delete(`/v1/workers/${id}`)), 204);
});

test("a default reader (and deltas=0) still gets whole workers snapshots, never a delta", async () => {
  for (const [query, ids] of [["", ["p1", "p2"]], ["?deltas=0", ["p3", "p4"]]] as const) {
    const reader = await readEvents(query);
    await all(ids.map((id) => register(id)), 201);
    await until(() => reader.view.list().length === 2, "the snapshot with both workers");
    await all(ids.map((id) => api.delete(`/v1/workers/${id}`)), 204);
    await until(() => reader.view.list().length === 0, "the snapshot without them");
    expect(reader.view.deltas).toBe(0);
    expect(reader.view.snapshots).toBeGreaterThanOrEqual(3);
    expect(reader.events.every((event) => SNAPSHOT_TYPES.includes(event.type))).toBe(true);
    reader.close();
  }
});

test("a bad deltas value is refused with 400", async () => {
  for (const query of ["?deltas=yes", "?deltas=", "?deltas=1&deltas=1"]) {
    const answer = await api.get(`/v1/events${query}`);
    expect([query, answer.status, answer.body?.error?.code]).toEqual([query, 400, "INVALID_REQUEST"]);
  }
});

test("the renderer's store, fed a snapshot and then the deltas of 1,000 random changes, equals the queen's list", async () => {
  const reader = await readEvents("?deltas=1");
  // A seeded PRNG (mulberry32): the same changes on every run.
  let seed = 20;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const live: string[] = [];
  let next = 0;
  /** One random change to a worker not yet changed in this round (so a change never races its worker's removal). */
  const change = (touched: Set<string>): Promise<{ status: number }> => {
    const roll = random();
    const free = live.filter((id) => !touched.has(id));
    if (free.length === 0 || roll < 0.3) {
      const id = `r${next++}`;
      live.push(id);
      touched.add(id);
      return register(id);
    }
    const id = free[Math.floor(random() * free.length)]!;
    touched.add(id);
    if (roll < 0.55) return api.post("/v1/workers/heartbeat", { worker_id: id, slots_available: Math.floor(random() * 5) });
    if (roll < 0.8) return api.post("/v1/workers/update", { worker_id: id, state: random() < 0.5 ? "busy" : "idle", slots_available: Math.floor(random() * 5) });
    live.splice(live.indexOf(id), 1);
    return api.delete(`/v1/workers/${id}`);
  };
  // 50 rounds of 20 changes at once.
  for (let round = 0; round < 50; round++) {
    const touched = new Set<string>();
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => change(touched)))).map((answer) => answer.status);
    expect(statuses.filter((status) => ![200, 201, 204].includes(status))).toEqual([]);
  }
  const expected = await listed();
  expect(expected.length).toBeGreaterThan(50);
  // A heartbeat that changes nothing but the time is not pushed (see QueenDelta): the times may lag.
  const withoutTime = (workers: readonly RegisteredWorker[]): string => JSON.stringify(workers.map(({ last_heartbeat_unix: _, ...worker }) => worker));
  const fromStore = (): RegisteredWorker[] => byId(fleetView(reader.store()).workers ?? []);
  await until(() => withoutTime(fromStore()) === withoutTime(expected), "the renderer's store to equal /v1/workers/list");
  expect(reader.view.snapshots).toBe(1);
  reader.close();
  await all(expected.map((worker) => api.delete(`/v1/workers/${worker.id}`)), 204);
});
