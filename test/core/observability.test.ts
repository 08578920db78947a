import { describe, expect, it } from "vitest";
import type { Beehive, EndEvent, HiveDevices, RegisteredWorker } from "../../src/shared/contract/index.js";
import { JobOutcomeTracker, type JobOutcome } from "../../src/core/inference/job-outcome.js";
import { DeviceFigures } from "../../src/core/metrics/device-figures.js";
import { QueenMetrics } from "../../src/core/metrics/queen-metrics.js";
import { WorkerStatsBook } from "../../src/core/metrics/worker-stats.js";
import { DevicePoller } from "../../src/core/monitors/device-poller.js";
import { histogramOf, parseMetrics, samplesOf, sumOf } from "../helpers/prometheus.js";

const end = (over: Partial<EndEvent> = {}): EndEvent => ({ type: "end", tokens_in: 10, tokens_cached: 4, tokens_out: 5, decode_ms: 50, ttft_ms: 10, stop_reason: "max_tokens", ...over });
const started = { type: "started", job_id: "j", worker_id: "w1", node_name: "box", model_ref: "m" } as const;
const worker = (id: string, over: Partial<RegisteredWorker> = {}): RegisteredWorker =>
  ({ id, url: "http://127.0.0.1:1", model_ref: "m", backend: "cpu", device: 0, state: "idle", slots_total: 2, slots_available: 1, vram_bytes: null, node_name: "box", last_heartbeat_unix: 0, ...over }) as RegisteredWorker;
const node = (node_name: string, status: Beehive["status"]): Beehive => ({ node_name, status }) as Beehive;
const gpuDevices = (used: number | null): HiveDevices => ({
  backends: ["cpu", "cuda"],
  devices: { cpu: 1, cuda: 1 },
  ram_bytes: 1,
  vram: [{ backend: "cuda", device: 0, name: "G", total_bytes: 100, free_bytes: null, used_bytes: used, utilization: 0.5, temperature_celsius: null, unavailable: ["temperature"] }],
});

describe("a request's outcome", () => {
  it("is ok with an end, cancelled when the end says so or the client left first, an error otherwise", () => {
    const run = (events: readonly Parameters<JobOutcomeTracker["observe"]>[0][], aborted: boolean): JobOutcome => {
      const tracker = new JobOutcomeTracker("m");
      for (const event of events) tracker.observe(event);
      return tracker.finish(aborted, 7);
    };
    expect(run([started, end()], false)).toMatchObject({ outcome: "ok", nodeName: "box", workerId: "w1", endedAtMs: 7 });
    expect(run([started, end({ stop_reason: "cancelled" })], true).outcome).toBe("cancelled");
    expect(run([started], true).outcome).toBe("cancelled");
    expect(run([{ type: "error", code: "NO_CAPACITY", message: "busy" }], false)).toMatchObject({ outcome: "error", nodeName: null, end: null });
  });
});

describe("the worker stats", () => {
  it("keep each live worker's last 20 jobs, count its failures, leave out idle ones and drop workers that are gone", () => {
    const book = new WorkerStatsBook();
    for (let i = 0; i < 25; i++) book.record({ model: "m", nodeName: "box", workerId: "w1", outcome: "ok", end: end({ tokens_out: i + 2 }), endedAtMs: i });
    book.record({ model: "m", nodeName: "box", workerId: "w1", outcome: "error", end: null, endedAtMs: 99 });
    book.record({ model: "m", nodeName: "box", workerId: "gone", outcome: "ok", end: end(), endedAtMs: 1 });
    const [w1, w2] = book.snapshot([worker("w1"), worker("w2"), worker("idle", { model_ref: "other" })], new Map([["w1", 1]]), new Map([["m", 3]]));
    expect(w1).toMatchObject({ worker_id: "w1", requests: 26, errors: 1, running: 1, queued: 3 });
    expect(w1?.recent).toHaveLength(20);
    expect(w1?.recent.at(-1)).toEqual({ ended_unix_ms: 99, outcome: "error", tokens_out: 0, tokens_per_s: null, ttft_ms: null });
    // 24 tokens after the first over the 40 ms after it.
    expect(w1?.recent.at(-2)?.tokens_per_s).toBeCloseTo((25 * 1000) / 40);
    expect(w2).toEqual({ worker_id: "w2", requests: 0, errors: 0, running: 0, queued: 3, recent: [] });
    // A worker with nothing to show is left out; one that came back under the same id starts afresh.
    expect(book.snapshot([worker("idle", { model_ref: "other" })], new Map(), new Map())).toEqual([]);
    expect(book.snapshot([worker("gone")], new Map(), new Map())).toEqual([]);
  });
});

describe("the queen's metrics", () => {
  it("count once per request and read the registries at scrape time; a figure a GPU cannot give is left out", async () => {
    let workers = [worker("w1"), worker("w2", { state: "busy", slots_available: 0 })];
    const figures = new DeviceFigures();
    figures.record("box", gpuDevices(40));
    const metrics = new QueenMetrics({
      nodes: () => [node("box", "ready"), node("mac", "unreachable")],
      workers: () => workers,
      waitingPerModel: () => new Map([["other", 2]]),
      devices: () => figures.list(),
    });
    metrics.record({ model: "m", nodeName: "box", workerId: "w1", outcome: "ok", end: end(), endedAtMs: 0 });
    metrics.record({ model: "m", nodeName: "box", workerId: "w1", outcome: "ok", end: end({ ttft_ms: 3000 }), endedAtMs: 0 });
    metrics.record({ model: "m", nodeName: null, workerId: null, outcome: "error", end: null, endedAtMs: 0 });
    const { text, contentType } = await metrics.exposition();
    expect(contentType).toMatch(/^text\/plain/);
    const families = parseMetrics(text);
    expect(sumOf(families, "rbee_requests_total", { model: "m", node: "box", outcome: "ok" })).toBe(2);
    expect(sumOf(families, "rbee_requests_total", { outcome: "error", node: "" })).toBe(1);
    expect(sumOf(families, "rbee_generated_tokens_total")).toBe(10);
    expect(sumOf(families, "rbee_prompt_tokens_total", { cached: "true" })).toBe(8);
    expect(sumOf(families, "rbee_prompt_tokens_total", { cached: "false" })).toBe(12);
    expect(histogramOf(text, "rbee_time_to_first_token_seconds", { model: "m", node: "box" })).toMatchObject({ count: 2, buckets: { "0.01": "1", "5": "2" } });
    expect(samplesOf(families, "rbee_nodes").map((s) => [s.labels?.status, s.value])).toEqual([
      ["unknown", "0"], ["reachable", "0"], ["unreachable", "1"], ["installing", "0"], ["ready", "1"],
    ]);
    expect(sumOf(families, "rbee_workers", { state: "busy" })).toBe(1);
    expect(sumOf(families, "rbee_worker_slots", { kind: "total" })).toBe(4);
    expect(sumOf(families, "rbee_worker_slots", { kind: "available" })).toBe(1);
    expect(samplesOf(families, "rbee_queue_depth").map((s) => [s.labels?.model, s.value])).toEqual([["m", "0"], ["other", "2"]]);
    expect(samplesOf(families, "rbee_gpu_memory_used_bytes")).toEqual([{ labels: { node: "box", device: "cuda:0", name: "G" }, value: "40" }]);
    expect(sumOf(families, "rbee_gpu_utilization_ratio")).toBe(0.5);
    expect(samplesOf(families, "rbee_gpu_temperature_celsius")).toEqual([]);

    // A worker that is gone and a GPU whose memory the node no longer reports leave no series behind.
    workers = [worker("w1")];
    figures.record("box", gpuDevices(null));
    const after = parseMetrics((await metrics.exposition()).text);
    expect(sumOf(after, "rbee_workers", { state: "busy" })).toBe(0);
    expect(samplesOf(after, "rbee_gpu_memory_used_bytes")).toEqual([]);
  });

  it("keep to a registry of their own", async () => {
    const sources = { nodes: () => [], workers: () => [], waitingPerModel: () => new Map(), devices: () => [] };
    const one = new QueenMetrics(sources);
    const two = new QueenMetrics(sources);
    one.record({ model: "m", nodeName: "a", workerId: "w", outcome: "ok", end: null, endedAtMs: 0 });
    expect(sumOf(parseMetrics((await two.exposition()).text), "rbee_requests_total")).toBe(0);
  });
});

describe("the device poller", () => {
  it("reads ready nodes' hives only while watched, one read per node at a time, and drops nodes no longer ready", async () => {
    let nodes = [node("box", "ready"), node("mac", "installing")];
    const reads: string[] = [];
    let release: () => void = () => {};
    const figures = new DeviceFigures();
    const poller = new DevicePoller({
      nodes: () => nodes,
      figures,
      intervalMs: 10,
      read: async (name) => {
        reads.push(name);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return gpuDevices(reads.length);
      },
    });
    await poller.freshen(0, 5); // a slow hive: the scrape does not wait for it
    await poller.freshen(0, 5);
    expect(reads).toEqual(["box"]);
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(figures.list().map((entry) => entry.node_name)).toEqual(["box"]);
    const stop = poller.watch();
    await new Promise((resolve) => setTimeout(resolve, 40));
    release();
    expect(reads.length).toBeGreaterThanOrEqual(2);
    stop();
    nodes = [node("box", "unreachable")];
    await poller.freshen(0, 5);
    expect(figures.list()).toEqual([]);
    poller.stop();
  });
});
