import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { QueenEvent } from "../../src/shared/contract/events.js";
import type { ConnectionState } from "../../src/renderer/api/connection.js";
import { createEventStream } from "../../src/renderer/api/event-stream.js";
import { worker } from "../helpers/fleet-rows.js";
import { fakeFetch, sseResponse } from "./fake-fetch.js";

// Invalid events are expected here; their warnings would only clutter the output.
beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => {
  vi.useRealTimers();
});

const nodesEvent: QueenEvent = { type: "nodes", nodes: [] };
const workersEvent: QueenEvent = { type: "workers", workers: [] };

/** Resolves when `predicate` holds, checking after each macrotask. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("createEventStream", () => {
  it("delivers events with a type, skips the rest, reconnects after a drop, and stops when unsubscribed", async () => {
    const streams: ReturnType<typeof sseResponse>[] = [];
    const { fetch, calls } = fakeFetch((call) => {
      const stream = sseResponse(call.signal);
      streams.push(stream);
      return stream.response;
    });
    const events = createEventStream({ url: "http://q/v1/events", token: "t", fetch, minDelayMs: 1, maxDelayMs: 4 });
    const states: ConnectionState[] = [];
    events.onConnectionChange((state) => states.push(state));
    const received: unknown[] = [];
    const stop = events.subscribe((event) => received.push(event));

    await until(() => streams.length === 1, "first connection");
    expect(calls[0]?.headers).toMatchObject({ Authorization: "Bearer t", Accept: "text/event-stream" });
    streams[0]!.send(nodesEvent);
    streams[0]!.raw(": keep-alive\n\ndata: not json\n\n");
    streams[0]!.send({ nodes: [] });
    streams[0]!.send(workersEvent);
    await until(() => received.length === 2, "two events");
    // The link passes typed events on; the client built on it checks them against the contract.
    expect(received).toEqual([nodesEvent, workersEvent]);

    streams[0]!.close();
    await until(() => streams.length === 2, "reconnection");
    streams[1]!.send(workersEvent);
    await until(() => received.length === 3, "event after reconnect");
    expect(states).toEqual(["connecting", "connected", "reconnecting", "connected"]);

    stop();
    expect(calls[1]?.signal?.aborted).toBe(true);
  });

  it("replays the latest snapshots to a late subscriber", async () => {
    const streams: ReturnType<typeof sseResponse>[] = [];
    const { fetch } = fakeFetch((call) => {
      const stream = sseResponse(call.signal);
      streams.push(stream);
      return stream.response;
    });
    const events = createEventStream({ url: "http://q/v1/events", token: "t", fetch });
    const first: unknown[] = [];
    const stopFirst = events.subscribe((event) => first.push(event));
    await until(() => streams.length === 1, "connection");
    streams[0]!.send(nodesEvent);
    streams[0]!.send(workersEvent);
    await until(() => first.length === 2, "snapshots");

    const late: unknown[] = [];
    const stopLate = events.subscribe((event) => late.push(event));
    await until(() => late.length === 2, "replay");
    expect(late).toEqual([nodesEvent, workersEvent]);
    expect(streams).toHaveLength(1);
    stopFirst();
    stopLate();
  });

  it("replays to a late subscriber the snapshots with the deltas since applied, never a lone delta", async () => {
    const streams: ReturnType<typeof sseResponse>[] = [];
    const { fetch } = fakeFetch((call) => {
      const stream = sseResponse(call.signal);
      streams.push(stream);
      return stream.response;
    });
    const events = createEventStream({ url: "http://q/v1/events?deltas=1", token: "t", fetch });
    const first: unknown[] = [];
    const stopFirst = events.subscribe((event) => first.push(event));
    await until(() => streams.length === 1, "connection");
    const a = worker("a", "idle");
    const b = worker("b", "idle");
    const deltas: QueenEvent[] = [
      { type: "workers", workers: [a, b] },
      { type: "worker", op: "upsert", worker: { ...a, state: "busy" } },
      { type: "worker", op: "remove", worker: b },
      { type: "worker", op: "upsert", worker: worker("c", "loading") },
      { type: "download", op: "upsert", download: { kind: "download", node_name: "mac", model_ref: "m", bytes: 1 } },
    ];
    for (const event of deltas) streams[0]!.send(event);
    await until(() => first.length === deltas.length, "snapshot and deltas");

    const late: unknown[] = [];
    const stopLate = events.subscribe((event) => late.push(event));
    await until(() => late.length > 0, "replay");
    // No downloads snapshot came: a download delta has no list to go into.
    expect(late).toEqual([{ type: "workers", workers: [{ ...a, state: "busy" }, worker("c", "loading")] }]);
    stopFirst();
    stopLate();
  });

  it("gives up on a refused token instead of retrying", async () => {
    // Fake time: "no retry" is checked over a whole minute of backoff, not over a real 20 ms.
    vi.useFakeTimers();
    const { fetch, calls } = fakeFetch(() => new Response("", { status: 401 }));
    const events = createEventStream({ url: "http://q/v1/events", token: "bad", fetch, minDelayMs: 1, maxDelayMs: 4 });
    const states: ConnectionState[] = [];
    events.onConnectionChange((state) => states.push(state));
    const stop = events.subscribe(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(states).toEqual(["connecting", "unauthorized"]);
    // A retrying link would have called again thousands of times by now (every 4 ms at most).
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    expect(states.at(-1)).toBe("unauthorized");
    stop();
  });

  it("backs off while the queen is down: the waits double up to the maximum", async () => {
    vi.useFakeTimers();
    const attempts: number[] = [];
    const { fetch } = fakeFetch(() => {
      attempts.push(Date.now());
      return Promise.reject(new TypeError("fetch failed"));
    });
    const events = createEventStream({ url: "http://q/v1/events", token: "t", fetch, minDelayMs: 10, maxDelayMs: 40 });
    const stop = events.subscribe(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    stop();
    const waits = attempts.slice(1).map((at, i) => at - attempts[i]!);
    // 10, 20, 40, then 40 ms for good, each plus up to 20 % jitter.
    const expected = waits.map((_, i) => Math.min(10 * 2 ** i, 40));
    expect(waits.length).toBeGreaterThanOrEqual(10);
    waits.forEach((wait, i) => {
      expect(wait, `wait ${i} of ${JSON.stringify(waits)}`).toBeGreaterThanOrEqual(expected[i]!);
      expect(wait, `wait ${i} of ${JSON.stringify(waits)}`).toBeLessThanOrEqual(expected[i]! * 1.2 + 1);
    });
    // Nothing after unsubscribing.
    const count = attempts.length;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(attempts).toHaveLength(count);
  });
});
