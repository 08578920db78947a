import { performance } from "node:perf_hooks";
import { NODE, settleIdle, warmUp } from "../lib/fleet.js";
import type { BenchContext } from "../lib/context.js";
import { figure, type SectionResult } from "../lib/report.js";
import { summarize } from "../lib/stats.js";
import { rbeeEvents, timedPost } from "../lib/timed-stream.js";

const TITLE = "9. Metrics collection";
const SCRAPE_EVERY_MS = 1_000;

interface Timing {
  readonly started: number;
  readonly firstToken: number;
}

/**
 * What collecting metrics costs a warm request: request → started and → first token through the
 * queen while `GET /metrics` is scraped every second, against phases of the same run where nothing
 * scrapes. The phases alternate (not scraped, scraped, …) so that drift of the machine hits both.
 */
export async function runMetrics(ctx: BenchContext): Promise<SectionResult> {
  const fleet = ctx.fleet;
  if (!fleet) return { id: "metrics", title: TITLE, status: "skipped", reason: ctx.fleetError ?? "no fleet", seconds: 0, figures: [], notes: [] };
  await warmUp(fleet);
  const body = { model: fleet.modelRef, node: NODE, prompt: "hello", max_tokens: 1, seed: 3 };
  const request = async (): Promise<Timing> => {
    await settleIdle(fleet);
    const events = rbeeEvents(await timedPost(`${fleet.queen.baseUrl}/v1/inference`, fleet.queen.token, body));
    const started = events.find((e) => e.type === "started")?.t;
    const firstToken = events.find((e) => e.type === "token")?.t;
    if (started === undefined || firstToken === undefined) throw new Error(`no started/token event: ${JSON.stringify(events.at(-1)?.event)}`);
    return { started, firstToken };
  };
  const scrapes: number[] = [];
  let exposition = 0;
  const scrape = async (): Promise<void> => {
    const sent = performance.now();
    const response = await fetch(`${fleet.queen.baseUrl}/metrics`, { headers: { authorization: `Bearer ${fleet.queen.token}` } });
    const text = await response.text();
    if (response.status !== 200 || !text.includes("rbee_requests_total")) throw new Error(`GET /metrics answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    scrapes.push(performance.now() - sent);
    exposition = text.length;
  };
  /** Requests one after another for the phase's length; with `scraped`, a scraper runs beside them. */
  const phase = async (scraped: boolean): Promise<Timing[]> => {
    const timings: Timing[] = [];
    let failure: unknown;
    let timer: NodeJS.Timeout | undefined;
    let scraping: Promise<void> = Promise.resolve();
    if (scraped) {
      const tick = (): void => {
        scraping = scrape().catch((error: unknown) => {
          failure = error;
        });
      };
      tick();
      timer = setInterval(tick, SCRAPE_EVERY_MS);
    }
    const end = performance.now() + ctx.settings.metricsPhaseSeconds * 1000;
    try {
      while (performance.now() < end) timings.push(await request());
    } finally {
      clearInterval(timer);
      await scraping;
    }
    if (failure) throw failure;
    return timings;
  };

  // One unmeasured pair first: the first scrapes read every node's devices and build the registry's output.
  await phase(false);
  await phase(true);
  const off: Timing[] = [];
  const on: Timing[] = [];
  scrapes.length = 0;
  for (let pair = 0; pair < ctx.settings.metricsPhasePairs; pair++) {
    // Alternate which comes first, so that neither always follows the other.
    for (const scraped of pair % 2 === 0 ? [false, true] : [true, false]) (scraped ? on : off).push(...(await phase(scraped)));
  }

  const offStarted = summarize(off.map((t) => t.started));
  const offFirst = summarize(off.map((t) => t.firstToken));
  const withinFivePercent = { target: "≤ 1.05× not scraped", check: ({ ratio }: { ratio: number | null }) => ratio !== null && ratio <= 1.05 };
  return {
    id: "metrics",
    title: TITLE,
    status: "ok",
    seconds: 0,
    figures: [
      figure({ id: "metrics.off.started_ms", label: "request → started through the queen, /metrics not scraped", unit: "ms", summary: offStarted }),
      figure({
        id: "metrics.on.started_ms",
        label: "request → started through the queen, /metrics scraped every second",
        unit: "ms",
        summary: summarize(on.map((t) => t.started)),
        baseline: { label: "not scraped", summary: offStarted },
        ...withinFivePercent,
      }),
      figure({ id: "metrics.off.first_token_ms", label: "request → first token through the queen, not scraped", unit: "ms", summary: offFirst }),
      figure({
        id: "metrics.on.first_token_ms",
        label: "request → first token through the queen, scraped every second",
        unit: "ms",
        summary: summarize(on.map((t) => t.firstToken)),
        baseline: { label: "not scraped", summary: offFirst },
        ...withinFivePercent,
      }),
      figure({
        id: "metrics.scrape_ms",
        label: "GET /metrics itself (gauges read at scrape time)",
        unit: "ms",
        summary: summarize(scrapes),
        note: `${exposition} bytes of exposition`,
      }),
    ],
    notes: [
      `${ctx.settings.metricsPhasePairs} pairs of ${ctx.settings.metricsPhaseSeconds}-s phases (order alternating), after one unmeasured pair: ${off.length} requests not scraped, ${on.length} scraped, ${scrapes.length} scrapes; max_tokens 1, every slot free in the queen's registry before each request. A scrape also asks a node's hive for its devices (over SSH) when its GPU figures are older than 2 s; this node has no GPU, so its devices are asked for once a minute.`,
    ],
  };
}
