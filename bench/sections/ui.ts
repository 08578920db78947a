import type { BrowserContext, Page } from "@playwright/test";
import { freePort } from "../../test/helpers/sshd.js";
import type { BenchContext } from "../lib/context.js";
import { runLoad } from "../lib/load.js";
import { QUIET_QUEEN_ENV, startBenchQueen, type BenchQueen } from "../lib/queen.js";
import { figure, type Figure, type SectionResult } from "../lib/report.js";
import { median, summarize, summarizeRate } from "../lib/stats.js";

const TITLE = "5. UI";
const NODES = 200;
const WORKERS = 2_000;
const UPDATES_PER_SECOND = 100;

type View = "workers" | "nodes";
type ShownCondition = { selector: string; count: number } | { text: string };

interface Recording {
  readonly arrivals: readonly number[];
  readonly deltas: number;
  readonly snapshots: number;
  readonly commits: readonly number[];
  readonly painted: readonly number[];
  readonly frames: readonly number[];
}

const workerId = (i: number): string => `w-${String(i).padStart(4, "0")}`;
const nodeName = (i: number): string => `node-${String(i % NODES).padStart(3, "0")}`;

/** For each arrival (delta or snapshot): ms until the next DOM change, and until the frame after it was produced. */
function applyLatencies(recording: Recording): { commit: number[]; painted: number[]; unmatched: number } {
  const commit: number[] = [];
  const painted: number[] = [];
  let unmatched = 0;
  for (const arrival of recording.arrivals) {
    const c = recording.commits.find((t) => t >= arrival);
    const p = c === undefined ? undefined : recording.painted.find((t) => t >= c);
    if (c === undefined || p === undefined) {
      unmatched += 1;
      continue;
    }
    commit.push(c - arrival);
    painted.push(p - arrival);
  }
  return { commit, painted, unmatched };
}

/**
 * Frames missed per second in equal windows of about a second over [from, to]: the frames a page
 * at the idle frame rate would have produced there, minus the frames it did produce.
 */
function droppedPerWindow(frames: readonly number[], frameMs: number, from: number, to: number): number[] {
  const count = Math.max(1, Math.floor((to - from) / 1000));
  const width = (to - from) / count;
  return Array.from({ length: count }, (_, w) => {
    const start = from + w * width;
    const last = w === count - 1;
    const produced = frames.filter((t) => t >= start && (t < start + width || (last && t <= to))).length;
    // A window of n frame slots holds n + 1 frame times when its last one lands exactly on its end.
    return (Math.max(0, Math.round(width / frameMs) - produced + (last ? 1 : 0)) * 1000) / width;
  });
}

function intervals(frames: readonly number[]): number[] {
  return frames.slice(1).map((t, i) => t - frames[i]!);
}

async function evaluate<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/**
 * Polls `expression` until it is truthy. Not page.waitForFunction: its polling evaluates the
 * predicate with eval inside the page, which the renderer's CSP (rightly) refuses.
 */
async function waitInPage(page: Page, expression: string, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await evaluate<boolean>(page, `Boolean(${expression})`))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting in the page for ${expression}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, intervalMs));
  }
}

/** Loads `view` in a fresh document and answers ms from navigation start until it is shown on screen. */
async function timeLoad(page: Page, queen: BenchQueen, view: View, condition: ShownCondition, run: number): Promise<number> {
  await evaluate(page, `window.__rbeeBench.armShown(${JSON.stringify(condition)})`);
  await page.goto(`${queen.baseUrl}/?load=${run}-${view}#/${view}`);
  await waitInPage(page, "window.__rbeeBench && window.__rbeeBench.shown && window.__rbeeBench.shown() !== null", 60_000);
  const shown = await evaluate<{ frame: number }>(page, "window.__rbeeBench.shown()");
  return shown.frame;
}

async function waitQuiet(page: Page, timeoutMs: number): Promise<void> {
  // The backlog is drained once no snapshot has arrived for a second.
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const count = await evaluate<number>(page, `performance.getEntriesByName("rbee-bench:arrival").length`);
    if (count !== last) {
      last = count;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 1000) {
      return;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** The ids of the worker rows on screen now (the table is virtualised: the others are not in the DOM). */
const VISIBLE_WORKERS = `[...document.querySelectorAll('tr[data-testid^="worker-row-"]')]
  .filter((row) => { const box = row.getBoundingClientRect(); return box.bottom > 0 && box.top < innerHeight; })
  .map((row) => row.dataset.testid.slice("worker-row-".length))`;

/**
 * The real renderer (served by a real queen) in Chromium: how long it takes to show 200 nodes and
 * 2,000 workers, how long a change to one worker (as a heartbeat brings: a `worker` delta on
 * `/v1/events?deltas=1`) takes to reach the screen, and what 100 such updates a second do to its
 * frames. Times come from performance marks set by bench/page/probes.ts.
 */
export async function runUi(ctx: BenchContext): Promise<SectionResult> {
  if (!ctx.browser || !ctx.pageScript) {
    return { id: "ui", title: TITLE, status: "skipped", reason: ctx.browserReason ?? "no browser", seconds: 0, figures: [], notes: [] };
  }
  const { uiLoads, uiWarmUp, uiIsolatedUpdates, uiUpdateSeconds } = ctx.settings;
  let queen: BenchQueen | undefined;
  let context: BrowserContext | undefined;
  try {
    queen = await startBenchQueen(ctx.app.root, QUIET_QUEEN_ENV);
    context = await ctx.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(`${ctx.pageScript}\nif (location.protocol.startsWith("http")) window.__rbeeBench.installUiProbes();`);
    const page = await context.newPage();
    await page.goto(queen.uiUrl);
    await page.getByTestId("connection-indicator").and(page.locator('[data-state="connected"]')).waitFor({ timeout: 15_000 });

    const loads = async (conditions: Record<View, ShownCondition>): Promise<Record<View, number[]>> => {
      const times: Record<View, number[]> = { workers: [], nodes: [] };
      // An unmeasured first load of each view warms Chromium's caches (full run).
      const first = uiWarmUp ? 0 : 1;
      for (let run = first; run <= uiLoads; run++) {
        for (const view of ["workers", "nodes"] as const) {
          const time = await timeLoad(page, queen!, view, conditions[view], run);
          if (run > 0) times[view].push(time);
        }
      }
      return times;
    };
    ctx.log("ui: timing loads with an empty fleet");
    const empty = await loads({ workers: { text: "No workers running" }, nodes: { text: "Add your first machine" } });

    // Fill the fleet with no page open: each change would otherwise push a snapshot to it. The
    // nodes are stored unverified and point at a closed loopback port: nothing ever dials them.
    await page.goto("about:blank");
    const closedPort = await freePort();
    const nodeResult = await runLoad({
      baseUrl: queen.baseUrl,
      token: queen.token,
      concurrency: 4,
      count: NODES,
      request: (i) => ({
        method: "POST",
        path: "/v2/registry/beehives/add?verify=false",
        body: {
          node_name: nodeName(i),
          ssh_host: "127.0.0.1",
          ssh_port: closedPort,
          ssh_user: "bench",
          git_repo_url: "file:///nonexistent/rbee.git",
          install_path: `/tmp/rbee-bench-nodes/${nodeName(i)}`,
        },
      }),
    });
    if (nodeResult.failures > 0) throw new Error(`adding ${NODES} nodes: ${nodeResult.firstFailure}`);
    const workerResult = await runLoad({
      baseUrl: queen.baseUrl,
      token: queen.token,
      concurrency: 16,
      count: WORKERS,
      request: (i) => ({
        method: "POST",
        path: "/v1/workers/register",
        body: {
          worker_id: workerId(i),
          url: `http://127.0.0.1:${30_000 + i}`,
          model_ref: `hf:bench/model-${i % 7}/model.Q4_K_M.gguf`,
          backend: "cpu",
          device: 0,
          slots_total: 4,
          slots_available: 4,
          node_name: nodeName(i),
        },
      }),
    });
    if (workerResult.failures > 0) throw new Error(`registering ${WORKERS} workers: ${workerResult.firstFailure}`);

    ctx.log(`ui: ${NODES} nodes and ${WORKERS} workers added; timing loads`);
    await page.goto(`${queen.baseUrl}/?load=filled#/nodes`);
    // The tables are virtualised: shown = the table holds the whole list and its first rows are in the DOM.
    const shownFull: Record<View, ShownCondition> = {
      workers: { selector: `table[data-testid="workers-table"][data-rows="${WORKERS}"] tr[data-testid^="worker-row-"]`, count: 1 },
      nodes: { selector: `table[data-testid="nodes-table"][data-rows="${NODES}"] tr[data-testid^="node-row-"]`, count: 1 },
    };
    const full = await loads(shownFull);

    // The page now shows the Workers view with 2,000 workers. Each update changes one worker's state.
    await timeLoad(page, queen, "workers", shownFull.workers, 99);
    // Every update flips one of the workers on screen between idle and busy: always a visible change.
    const visible = await evaluate<string[]>(page, VISIBLE_WORKERS);
    if (visible.length === 0) throw new Error("no worker row is on screen");
    const busyNow = new Map<string, boolean>();
    let flips = 0;
    const onScreen = (): string => visible[flips % visible.length]!;
    // Heartbeats come from every worker alike: most of them off screen.
    const anyWorker = (): string => workerId((flips * 7919) % WORKERS);
    const update = (id = onScreen()) => {
      const busy = !busyNow.get(id);
      busyNow.set(id, busy);
      flips += 1;
      return fetch(`${queen!.baseUrl}/v1/workers/update`, {
        method: "POST",
        headers: { authorization: `Bearer ${queen!.token}`, "content-type": "application/json" },
        body: JSON.stringify({ worker_id: id, state: busy ? "busy" : "idle", slots_available: busy ? 3 : 4 }),
      }).then((response) => response.body?.cancel());
    };

    ctx.log("ui: isolated updates");
    // Isolated updates: each one waits until the page has put the previous one on screen.
    await evaluate(page, "window.__rbeeBench.startRecording()");
    for (let i = 0; i < uiIsolatedUpdates; i++) {
      const before = await evaluate<number>(page, `performance.getEntriesByName("rbee-bench:painted").length`);
      await update();
      await waitInPage(page, `performance.getEntriesByName("rbee-bench:painted").length > ${before}`, 30_000, 10);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
    const isolatedRecording = await evaluate<Recording>(page, "window.__rbeeBench.stopRecording()");
    const isolated = applyLatencies(isolatedRecording);

    ctx.log(`ui: idle frames, then ${UPDATES_PER_SECOND} updates/s to the workers on screen, then to any worker`);
    // Idle frames first (the baseline), then the same time under 100 updates per second.
    await evaluate(page, "window.__rbeeBench.startRecording()");
    await new Promise((resolveWait) => setTimeout(resolveWait, uiUpdateSeconds * 1000));
    const idle = await evaluate<Recording>(page, "window.__rbeeBench.stopRecording()");
    const idleIntervals = intervals(idle.frames);
    const frameMs = median(idleIntervals);

    /** `uiUpdateSeconds` of 100 updates a second to the workers `pick` names: the recording and when the sending ran. */
    const atRate = async (pick: () => string): Promise<{ recording: Recording; from: number; to: number }> => {
      await evaluate(page, "window.__rbeeBench.startRecording()");
      const from = await evaluate<number>(page, "performance.now()");
      const pending: Promise<unknown>[] = [];
      const total = UPDATES_PER_SECOND * uiUpdateSeconds;
      const t0 = performance.now();
      for (let i = 0; i < total; i++) {
        const due = t0 + (i * 1000) / UPDATES_PER_SECOND;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolveWait) => setTimeout(resolveWait, wait));
        pending.push(update(pick()));
      }
      await Promise.all(pending);
      const to = from + (performance.now() - t0);
      await waitQuiet(page, ctx.mode === "smoke" ? 30_000 : 120_000);
      return { recording: await evaluate<Recording>(page, "window.__rbeeBench.stopRecording()"), from, to };
    };
    const { recording: loaded, from: sendFrom, to: sendTo } = await atRate(onScreen);
    const underLoad = applyLatencies(loaded);
    const heartbeats = await atRate(anyWorker);
    const floor = await evaluate<Record<"snapshot" | "delta", { times: number[]; validated: number[]; bytes: number }>>(page, "window.__rbeeBench.decodeFloor(20)");
    await page.close();

    const idleDropped = droppedPerWindow(idle.frames, frameMs, idle.frames[0] ?? 0, idle.frames.at(-1) ?? 0);
    const loadDropped = droppedPerWindow(loaded.frames, frameMs, sendFrom, sendTo);
    const heartbeatDropped = droppedPerWindow(heartbeats.recording.frames, frameMs, heartbeats.from, heartbeats.to);
    // DOM updates per second, in the same one-second windows as the dropped frames.
    const windowCount = Math.max(1, Math.floor((sendTo - sendFrom) / 1000));
    const windowMs = (sendTo - sendFrom) / windowCount;
    const rendersPerSecond = Array.from({ length: windowCount }, (_, w) => {
      const start = sendFrom + w * windowMs;
      return (loaded.commits.filter((t) => t >= start && t < start + windowMs).length * 1000) / windowMs;
    });
    const decode = summarize(floor.delta.times);
    // What the page was sent: deltas (a queen with `?deltas=1`) or whole snapshots (one without).
    const runs = [isolatedRecording, loaded, heartbeats.recording];
    const deltaCount = runs.reduce((sum, run) => sum + run.deltas, 0);
    const deltasCame = deltaCount > 0;
    const sent = `${deltaCount} worker deltas and ${runs.reduce((sum, run) => sum + run.snapshots, 0)} workers snapshots arrived`;
    const figures: Figure[] = [
      figure({
        id: "ui.load_workers_ms",
        label: `show ${WORKERS.toLocaleString("en-US")} workers (Workers view, navigation → on screen)`,
        unit: "ms",
        summary: summarize(full.workers),
        baseline: { label: "same view, empty fleet", summary: summarize(empty.workers) },
      }),
      figure({
        id: "ui.load_nodes_ms",
        label: `show ${NODES} nodes (Nodes view, navigation → on screen)`,
        unit: "ms",
        summary: summarize(full.nodes),
        baseline: { label: "same view, empty fleet", summary: summarize(empty.nodes) },
      }),
      figure({
        id: "ui.update_applied_ms",
        label: `one worker changed in a ${WORKERS.toLocaleString("en-US")}-worker table, applied (event arrives → DOM updated)`,
        unit: "ms",
        summary: summarize(isolated.commit),
        baseline: { label: "JSON.parse of the delta", summary: decode },
      }),
      figure({
        id: "ui.update_on_screen_ms",
        label: `one worker changed in a ${WORKERS.toLocaleString("en-US")}-worker table, on screen (→ next frame produced)`,
        unit: "ms",
        summary: summarize(isolated.painted),
        baseline: { label: "JSON.parse of the delta", summary: decode },
        target: "< 16 ms",
        check: ({ median: value }) => value < 16,
      }),
      figure({
        id: "ui.delta_validate_ms",
        label: `of which: JSON.parse + contract validation of the delta (zod, as the renderer runs it)`,
        unit: "ms",
        summary: summarize(floor.delta.validated),
        baseline: { label: `the same for the whole workers snapshot (${Math.round(floor.snapshot.bytes / 1024)} KiB)`, summary: summarize(floor.snapshot.validated) },
      }),
      figure({
        id: "ui.updates_100hz_applied_ms",
        label: `at ${UPDATES_PER_SECOND} updates/s to the workers on screen: event arrives → DOM updated`,
        unit: "ms",
        summary: summarize(underLoad.commit),
        baseline: { label: "isolated update", summary: summarize(isolated.commit) },
      }),
      figure({
        id: "ui.updates_100hz_dropped_per_s",
        label: `at ${UPDATES_PER_SECOND} updates/s to the workers on screen (every one a visible change): frames dropped per second`,
        unit: "frames",
        summary: summarize(loadDropped),
        baseline: { label: "idle page", summary: summarize(idleDropped) },
        target: "0 (no more than the idle page)",
        check: ({ p99 }) => p99 <= Math.max(...idleDropped, 0),
      }),
      figure({
        id: "ui.heartbeats_100hz_dropped_per_s",
        label: `at ${UPDATES_PER_SECOND} updates/s spread over all ${WORKERS.toLocaleString("en-US")} workers (as heartbeats; most off screen): frames dropped per second`,
        unit: "frames",
        summary: summarize(heartbeatDropped),
        baseline: { label: "idle page", summary: summarize(idleDropped) },
        target: "0 (no more than the idle page)",
        check: ({ p99 }) => p99 <= Math.max(...idleDropped, 0),
      }),
      figure({
        id: "ui.updates_100hz_frame_ms",
        label: `at ${UPDATES_PER_SECOND} updates/s: frame interval`,
        unit: "ms",
        summary: summarize(intervals(loaded.frames.filter((t) => t >= sendFrom && t <= sendTo))),
        baseline: { label: "idle page", summary: summarize(idleIntervals) },
      }),
      figure({
        id: "ui.updates_100hz_renders_per_s",
        label: `at ${UPDATES_PER_SECOND} updates/s: DOM updates per second`,
        unit: "/s",
        summary: summarizeRate(rendersPerSecond),
      }),
    ];
    return {
      id: "ui",
      title: TITLE,
      status: "ok",
      seconds: 0,
      figures,
      notes: [
        `The built renderer served by a real queen (${NODES} nodes added unverified, ${WORKERS.toLocaleString("en-US")} workers registered over HTTP) in headless Chromium, 1280×800; ${uiLoads} loads per view; "on screen" = the first task after the frame that follows the DOM change (requestAnimationFrame + MessageChannel).`,
        `Each update is one POST /v1/workers/update changing the state of one of the ${visible.length} workers on screen; the page reads GET /v1/events?deltas=1, where ${deltasCame ? "the queen sends" : "a queen that knows it would send"} one \`worker\` delta (${floor.delta.bytes} B as JSON) per change and tick instead of the whole workers list (${Math.round(floor.snapshot.bytes / 1024)} KiB); ${sent}. The tables are virtualised: only the rows near the viewport are in the DOM. ${uiIsolatedUpdates} isolated updates, then ${uiUpdateSeconds} s at ${UPDATES_PER_SECOND}/s (${underLoad.commit.length} events matched to a DOM update${underLoad.unmatched ? `, ${underLoad.unmatched} not` : ""}); frames dropped = missed ${frameMs.toFixed(1)} ms frame slots per 1-s window.`,
      ],
    };
  } finally {
    await context?.close().catch(() => undefined);
    await queen?.stop();
  }
}
