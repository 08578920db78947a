import { resolve } from "node:path";
import { readFileSync } from "node:fs";
import { listeningSockets } from "../../test/helpers/listening-sockets.js";
import { spawnNodeScript, type RunningProcess } from "../../test/helpers/process.js";
import type { BenchContext } from "../lib/context.js";
import { runLoad, type LoadRequest, type LoadResult } from "../lib/load.js";
import { QUIET_QUEEN_ENV, startBenchQueen, type BenchQueen } from "../lib/queen.js";
import { figure, type Figure, type SectionResult } from "../lib/report.js";
import { summarize, summarizeRate, type Summary } from "../lib/stats.js";
import { SseParser } from "../../src/shared/sse.js";

/** The snapshots `/v1/events` sends on connect: nodes, workers, downloads, worker stats, devices, exits. */
const SNAPSHOT_COUNT = 6;

const TITLE = "4. Registry";
const CONCURRENCIES = [1, 16, 128] as const;
const FLOOR_SCRIPT = resolve("bench/floor/http-floor.mjs");
const FLOOR_TOKEN = "bench-floor-token-0123456789abcdef";

/** A registration body the contract accepts; `i` spreads the workers over 200 nodes. */
function registration(id: string, i: number): LoadRequest {
  return {
    method: "POST",
    path: "/v1/workers/register",
    body: {
      worker_id: id,
      url: `http://127.0.0.1:${20_000 + (i % 40_000)}`,
      model_ref: "file:/models/bench-model.gguf",
      backend: "cpu",
      device: 0,
      slots_total: 1,
      slots_available: 1,
      node_name: `node-${i % 200}`,
    },
  };
}


interface Target {
  readonly name: "queen" | "floor";
  readonly baseUrl: string;
  readonly token: string;
  rss(): number;
}

function rssOf(pid: number): number {
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return kb ? Number(kb) * 1024 : Number.NaN;
}

async function sampleRss(target: Target, samples = 5): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(target.rss() / 2 ** 20);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return values;
}

function assertNoFailures(result: LoadResult, what: string): void {
  if (result.failures > 0) throw new Error(`${what}: ${result.failures} requests failed, first: ${result.firstFailure}`);
}

/** Keeps one `GET /v1/events?deltas=1` reader open (as an open UI reads it), counting what it receives. */
async function openEventsClient(queen: BenchQueen): Promise<{ bytes(): number; close(): Promise<void> }> {
  const abort = new AbortController();
  const response = await fetch(`${queen.baseUrl}/v1/events?deltas=1`, { headers: { authorization: `Bearer ${queen.token}` }, signal: abort.signal });
  if (!response.ok || !response.body) throw new Error(`GET /v1/events: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let bytes = 0;
  let snapshots = 0;
  let connected: () => void = () => undefined;
  // Open = the six snapshots of the connect have arrived: what follows is what the open UI costs.
  const open = new Promise<void>((resolveOpen) => {
    connected = resolveOpen;
  });
  const reading = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        bytes += value.length;
        if (snapshots >= SNAPSHOT_COUNT) continue;
        for (const message of parser.push(decoder.decode(value, { stream: true }))) {
          if (!message.data.startsWith('{"type":"') || message.data.includes('"op":')) continue;
          if (++snapshots === SNAPSHOT_COUNT) connected();
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  await open;
  return {
    bytes: () => bytes,
    async close() {
      abort.abort();
      await reading;
    },
  };
}

/**
 * Worker register / heartbeat throughput and latency at concurrency 1, 16, 128 against a real
 * queen over HTTP, list latency and queen memory with 10,000 workers; each against a bare node:http
 * registry (bench/floor/http-floor.mjs) driven by the same client in the same run.
 */
export async function runRegistry(ctx: BenchContext): Promise<SectionResult> {
  const { registryRounds: rounds, registryPerRound: perRound, listRuns, registryFleet: fleetSize } = ctx.settings;
  const fleetId = (i: number): string => `fleet-${String(i % fleetSize).padStart(5, "0")}`;
  let queen: BenchQueen | undefined;
  let floorProcess: RunningProcess | undefined;
  try {
    queen = await startBenchQueen(ctx.app.root, QUIET_QUEEN_ENV);
    floorProcess = spawnNodeScript(FLOOR_SCRIPT, [], { env: { ...process.env, FLOOR_TOKEN } });
    const [, floorPort] = await floorProcess.waitForLine(/^listening (\d+)$/);
    const owned = queen;
    const floorPid = floorProcess.pid;
    const queenTarget: Target = { name: "queen", baseUrl: queen.baseUrl, token: queen.token, rss: () => owned.rssBytes() };
    const floorTarget: Target = { name: "floor", baseUrl: `http://127.0.0.1:${floorPort}`, token: FLOOR_TOKEN, rss: () => rssOf(floorPid) };
    const targets = [queenTarget, floorTarget];
    const figures: Figure[] = [];
    const notes: string[] = [];

    // Memory and list latency with 10,000 workers.
    const idleRss = summarize(await sampleRss(queenTarget));
    for (const target of targets) {
      const result = await runLoad({ ...target, concurrency: 16, count: fleetSize, request: (i) => registration(fleetId(i), i) });
      assertNoFailures(result, `registering ${fleetSize} workers on the ${target.name}`);
    }
    const fullRss = summarize(await sampleRss(queenTarget));
    const floorRss = summarize(await sampleRss(floorTarget));
    const listLatency = { queen: [] as number[], floor: [] as number[] };
    for (let i = 0; i < listRuns + 2; i++) {
      for (const target of targets) {
        const result = await runLoad({ ...target, concurrency: 1, count: 1, request: () => ({ method: "GET", path: "/v1/workers/list" }) });
        assertNoFailures(result, `listing on the ${target.name}`);
        if (i >= 2) listLatency[target.name].push(...result.latencies);
      }
    }
    figures.push(
      figure({
        id: "registry.list_fleet_ms",
        label: `list with ${fleetSize.toLocaleString("en-US")} workers`,
        unit: "ms",
        summary: summarize(listLatency.queen),
        baseline: { label: "bare node:http", summary: summarize(listLatency.floor) },
      }),
      figure({
        id: "registry.rss_fleet_mib",
        label: `queen RSS with ${fleetSize.toLocaleString("en-US")} workers`,
        unit: "MiB",
        summary: fullRss,
        baseline: { label: "the same queen, no workers", summary: idleRss },
        note: `bare node:http registry with the same workers: ${floorRss.median.toFixed(1)} MiB`,
      }),
    );
    notes.push(
      `Memory: ${((fullRss.median - idleRss.median) * 2 ** 20 / fleetSize / 1024).toFixed(2)} KiB per registered worker in the queen (RSS delta / ${fleetSize}); the bare registry holds the same workers in ${floorRss.median.toFixed(1)} MiB in total.`,
    );

    // Throughput and latency per operation and concurrency, rounds interleaved between the two servers.
    const throughput = async (operation: "register" | "heartbeat", concurrency: number): Promise<Record<Target["name"], { rates: number[]; latencies: number[] }>> => {
      const results = { queen: { rates: [] as number[], latencies: [] as number[] }, floor: { rates: [] as number[], latencies: [] as number[] } };
      for (let round = 0; round < rounds; round++) {
        for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
          const prefix = `r${concurrency}-${round}`;
          const result = await runLoad({
            ...target,
            concurrency,
            count: perRound,
            request: (i) =>
              operation === "register"
                ? registration(`${prefix}-${i}`, i)
                : { method: "POST", path: "/v1/workers/heartbeat", body: { worker_id: fleetId(i * 7919) } },
          });
          assertNoFailures(result, `${operation} at concurrency ${concurrency} on the ${target.name}`);
          results[target.name].rates.push((perRound / result.elapsedMs) * 1000);
          results[target.name].latencies.push(...result.latencies);
        }
      }
      return results;
    };
    for (const operation of ["register", "heartbeat"] as const) {
      for (const concurrency of CONCURRENCIES) {
        const results = await throughput(operation, concurrency);
        const rate = summarizeRate(results.queen.rates);
        const target = operation === "register" && concurrency > 1;
        figures.push(
          figure({
            id: `registry.${operation}_c${concurrency}_per_s`,
            label: `${operation}, concurrency ${concurrency}`,
            unit: "req/s",
            summary: rate,
            baseline: { label: "bare node:http", summary: summarizeRate(results.floor.rates) },
            ...(target ? { target: "≥ 5,000/s", check: ({ median }: { median: number }) => median >= 5000 } : {}),
          }),
          figure({
            id: `registry.${operation}_c${concurrency}_latency_ms`,
            label: `${operation} latency, concurrency ${concurrency}`,
            unit: "ms",
            summary: summarize(results.queen.latencies),
            baseline: { label: "bare node:http", summary: summarize(results.floor.latencies) },
          }),
        );
      }
    }

    // What the workers themselves call: the callback listener (the queen's other loopback port,
    // where the nodes' tunnels lead), here with the queen token; under its cap of 64 connections.
    const apiPort = Number(new URL(queen.baseUrl).port);
    const callbackPorts = listeningSockets([queen.pid]).map((socket) => socket.port).filter((port) => port !== apiPort);
    if (callbackPorts.length === 1) {
      const callbackTarget: Target = { ...queenTarget, baseUrl: `http://127.0.0.1:${callbackPorts[0]}` };
      const rates = { queen: [] as number[], floor: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        for (const target of round % 2 === 0 ? [callbackTarget, floorTarget] : [floorTarget, callbackTarget]) {
          const result = await runLoad({
            ...target,
            concurrency: 16,
            count: perRound,
            request: (i) => ({ method: "POST", path: "/v1/workers/heartbeat", body: { worker_id: fleetId(i * 7919) } }),
          });
          assertNoFailures(result, `heartbeat on the ${target === floorTarget ? "floor" : "callback listener"}`);
          rates[target.name].push((perRound / result.elapsedMs) * 1000);
        }
      }
      figures.push(
        figure({
          id: "registry.callback_listener_heartbeat_c16_per_s",
          label: "heartbeat on the callback listener, concurrency 16",
          unit: "req/s",
          summary: summarizeRate(rates.queen),
          baseline: { label: "bare node:http", summary: summarizeRate(rates.floor) },
        }),
      );
    } else {
      notes.push(`The callback listener was not measured: the queen listens on ${callbackPorts.length} ports besides the API's.`);
    }

    // The cost of one open UI: each heartbeat that changes a worker's free slots makes the queen push
    // that worker's delta to each /v1/events?deltas=1 reader (coalesced per tick).
    const changing = { without: [] as number[], with: [] as number[] };
    let pushedBytes = 0;
    let pushedRequests = 0;
    const changingCount = Math.max(100, perRound);
    let run = 0;
    for (let round = 0; round < rounds; round++) {
      for (const withClient of round % 2 === 0 ? [false, true] : [true, false]) {
        const client = withClient ? await openEventsClient(queen) : undefined;
        const before = client?.bytes() ?? 0;
        // Every run flips the free slots of the same workers, so each heartbeat is a change.
        const flip = run++;
        const result = await runLoad({
          ...queenTarget,
          concurrency: 16,
          count: changingCount,
          request: (i) => ({ method: "POST", path: "/v1/workers/heartbeat", body: { worker_id: fleetId(i * 7919), slots_available: (flip + i) % 2 } }),
        });
        assertNoFailures(result, "heartbeats with slot changes");
        if (client) {
          pushedBytes += client.bytes() - before;
          pushedRequests += changingCount;
          await client.close();
        }
        changing[withClient ? "with" : "without"].push((changingCount / result.elapsedMs) * 1000);
      }
    }
    const without: Summary = summarizeRate(changing.without);
    figures.push(
      figure({
        id: "registry.changing_heartbeat_events_client_per_s",
        label: "heartbeat changing slots, concurrency 16, one /v1/events?deltas=1 reader open (a UI)",
        unit: "req/s",
        summary: summarizeRate(changing.with),
        baseline: { label: "same, no reader", summary: without },
        target: "≥ 0.8× no reader",
        check: ({ ratio }) => ratio !== null && ratio >= 0.8,
      }),
    );
    notes.push(
      `Registrations use new worker ids (the registry grows past ${fleetSize.toLocaleString("en-US")} as rounds run); heartbeats hit the ${fleetSize.toLocaleString("en-US")} registered ids. ${rounds} rounds of ${perRound} requests per row, closed loop over keep-alive connections, the queen and the floor interleaved; throughput p99 is the slowest-round tail.`,
      `With one /v1/events?deltas=1 reader open, each changing heartbeat cost the queen ${(pushedBytes / Math.max(1, pushedRequests)).toFixed(0)} B pushed to that reader (one worker delta per change and tick, of ${fleetSize.toLocaleString("en-US")} workers).`,
    );
    return { id: "registry", title: TITLE, status: "ok", seconds: 0, figures, notes };
  } finally {
    await floorProcess?.stop();
    await queen?.stop();
  }
}
