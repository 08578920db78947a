import type { Page } from "@playwright/test";
import { settleIdle, warmUp, type DirectWorker } from "../lib/fleet.js";
import type { BenchContext } from "../lib/context.js";
import { figure, skippedFigure, type Figure, type SectionResult } from "../lib/report.js";
import { median, summarize, summarizeRate } from "../lib/stats.js";
import { rbeeEvents, timedPost, type TimedAnswer } from "../lib/timed-stream.js";

const TITLE = "1. Token relay";
const PROMPT = "hello";
const SEED = 11;

/** One run's token arrival times (ms after the request) and the worker's own timing of it. */
interface RunTiming {
  readonly tokens: readonly number[];
  readonly end: { readonly ttft_ms: number; readonly decode_ms: number; readonly tokens_out: number } | null;
}

/** direct/queen/browser send a raw prompt; directChat/chat the same as chat messages. */
type Path = "direct" | "queen" | "browser" | "directChat" | "chat";

/**
 * Tokens per second over the whole answer: tokens / (request sent → last token arrived). Not the
 * gap between first and last arrival: on a busy machine a reader gets tokens in bursts, which makes
 * that gap, and so the rate, meaningless.
 */
function tokensPerSecond(run: RunTiming): number {
  const last = run.tokens.at(-1);
  if (last === undefined || last <= 0) return Number.NaN;
  return (run.tokens.length / last) * 1000;
}

/** The engine's own pace in that run, from the worker's `end` event. */
function enginePace(run: RunTiming): number {
  if (!run.end || run.end.decode_ms <= run.end.ttft_ms) return Number.NaN;
  return ((run.end.tokens_out - 1) / (run.end.decode_ms - run.end.ttft_ms)) * 1000;
}

/**
 * How late the first and the last token arrived after the worker produced them: arrival minus the
 * worker's own timing of the job (`ttft_ms`, `decode_ms` in its `end` event, counted from when it
 * accepted the request). Both include the request's trip to the worker; the difference to a direct
 * read is what the path adds, without the engine's speed (which CPU contention changes).
 */
function lags(run: RunTiming): { first: number; last: number } | null {
  const first = run.tokens[0];
  const last = run.tokens.at(-1);
  if (!run.end || first === undefined || last === undefined) return null;
  return { first: first - run.end.ttft_ms, last: last - run.end.decode_ms };
}

function fromAnswer(answer: TimedAnswer, what: string, textOnly = false): RunTiming {
  if (answer.status !== 200 || !answer.done) throw new Error(`${what}: HTTP ${answer.status} ${answer.errorBody?.slice(0, 300) ?? ""}`);
  const events = rbeeEvents(answer);
  const error = events.find((e) => e.type === "error");
  if (error) throw new Error(`${what}: ${JSON.stringify(error.event)}`);
  const end = events.find((e) => e.type === "end")?.event as RunTiming["end"] | undefined;
  const tokens = events.filter((e) => e.type === "token" && (!textOnly || e.event.t !== ""));
  return { tokens: tokens.map((e) => e.t), end: end ?? null };
}

/** OpenAI-style chunks: one per token with text (the first, the role, has none); no timing in them. */
function fromChatAnswer(answer: TimedAnswer): RunTiming {
  if (answer.status !== 200 || !answer.done) throw new Error(`chat completions: HTTP ${answer.status} ${answer.errorBody?.slice(0, 300) ?? ""}`);
  const tokens: number[] = [];
  for (const message of answer.messages) {
    const chunk = JSON.parse(message.data) as { choices?: { delta?: { content?: string } }[] };
    if (chunk.choices?.[0]?.delta?.content) tokens.push(message.t);
  }
  return { tokens, end: null };
}

/** `/v1/chat/completions` may not exist yet (another engineer adds it): null when it answers 404. */
async function chatAvailable(ctx: BenchContext): Promise<string | null> {
  const fleet = ctx.fleet!;
  const response = await fetch(`${fleet.queen.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${fleet.queen.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: fleet.modelRef, messages: [{ role: "user", content: PROMPT }], max_tokens: 2, stream: false }),
  });
  await response.text();
  if (response.status === 404) return "the queen answers 404 for POST /v1/chat/completions (route not there yet)";
  if (!response.ok) return `POST /v1/chat/completions answered HTTP ${response.status}`;
  return null;
}

/** Opens the queen's UI (the token moves to sessionStorage) and adds the page probes. */
export async function openUiPage(ctx: BenchContext, uiUrl: string): Promise<Page> {
  const page = await ctx.browser!.newPage();
  await page.goto(uiUrl);
  await page.getByTestId("connection-indicator").and(page.locator('[data-state="connected"]')).waitFor({ timeout: 15_000 });
  await page.evaluate(ctx.pageScript!);
  return page;
}

/** Worker SSE read directly vs through the queen, its OpenAI route and the renderer's transport. */
export async function runRelay(ctx: BenchContext): Promise<SectionResult> {
  const fleet = ctx.fleet;
  if (!fleet) return { id: "relay", title: TITLE, status: "skipped", reason: ctx.fleetError ?? "no fleet", seconds: 0, figures: [], notes: [] };
  const { relayTokens: maxTokens, relayRuns } = ctx.settings;
  const notes: string[] = [];
  await warmUp(fleet);
  ctx.log("relay: worker loaded");
  const worker: DirectWorker = await fleet.directWorker();
  const chatProblem = await chatAvailable(ctx);
  ctx.log(`relay: chat completions ${chatProblem ?? "available"}`);
  let page: Page | null = null;
  let browserProblem = ctx.browserReason;
  if (ctx.browser) {
    try {
      page = await openUiPage(ctx, fleet.queen.uiUrl);
    } catch (error) {
      browserProblem = `the UI page did not open: ${(error as Error).message.split("\n")[0]}`;
    }
  }

  const body = { prompt: PROMPT, max_tokens: maxTokens, seed: SEED };
  const queenBody = { model: fleet.modelRef, node: "bench", ...body };
  const messages = [{ role: "user", content: PROMPT }];
  const run = async (path: Path): Promise<RunTiming> => {
    await settleIdle(fleet);
    switch (path) {
      case "direct":
        return fromAnswer(await timedPost(`${worker.url}/v1/inference`, worker.token, body), "direct");
      case "queen":
        return fromAnswer(await timedPost(`${fleet.queen.baseUrl}/v1/inference`, fleet.queen.token, queenBody), "queen");
      case "directChat":
        return fromAnswer(await timedPost(`${worker.url}/v1/inference`, worker.token, { messages, max_tokens: maxTokens, seed: SEED }), "direct chat", true);
      case "chat":
        return fromChatAnswer(
          await timedPost(`${fleet.queen.baseUrl}/v1/chat/completions`, fleet.queen.token, {
            model: fleet.modelRef,
            messages,
            max_tokens: maxTokens,
            seed: SEED,
            stream: true,
          }),
        );
      case "browser": {
        const result = (await page!.evaluate(`window.__rbeeBench.streamInference(${JSON.stringify(queenBody)})`)) as {
          status: number;
          tokens: number[];
          end: RunTiming["end"];
          done: boolean;
          error: string | null;
        };
        if (result.status !== 200 || !result.done || result.error) throw new Error(`browser: HTTP ${result.status} ${result.error ?? ""}`);
        return { tokens: result.tokens, end: result.end };
      }
    }
  };

  const paths: Path[] = ["direct", "queen", ...(page ? ["browser" as const] : []), ...(chatProblem ? [] : ["directChat" as const, "chat" as const])];
  const runs = new Map<Path, RunTiming[]>(paths.map((path) => [path, []]));
  // A path other than the two that define the section (direct, queen) may fail on a tree under
  // construction: it is then reported as skipped with its error, and the others go on.
  const failed = new Map<Path, string>();
  const attempt = async (path: Path): Promise<RunTiming | null> => {
    if (failed.has(path)) return null;
    try {
      return await run(path);
    } catch (error) {
      if (path === "direct" || path === "queen") throw error;
      failed.set(path, (error as Error).message.split("\n")[0]!.slice(0, 300));
      ctx.log(`relay: ${path} failed: ${failed.get(path)}`);
      runs.delete(path);
      return null;
    }
  };
  // One unmeasured round opens every connection and tunnel first.
  for (const path of paths) await attempt(path);
  ctx.log(`relay: paths ${paths.filter((path) => !failed.has(path)).join(", ")} warmed up`);
  for (let i = 0; i < relayRuns; i++) {
    // Rotate the order so that no path always follows the same neighbour.
    for (let j = 0; j < paths.length; j++) {
      const path = paths[(i + j) % paths.length]!;
      const timing = await attempt(path);
      if (timing) runs.get(path)!.push(timing);
    }
  }
  await page?.close();
  const chatFailure = chatProblem ?? failed.get("chat") ?? failed.get("directChat") ?? null;
  if (failed.has("browser")) browserProblem = `the renderer's stream failed: ${failed.get("browser")}`;
  const browserOk = page !== null && runs.has("browser");

  const rate = (path: Path) => summarizeRate(runs.get(path)?.map(tokensPerSecond) ?? []);
  const direct = rate("direct");
  const lagsOf = (path: Path) => (runs.get(path) ?? []).map(lags).filter((lag): lag is { first: number; last: number } => lag !== null);
  const directLags = lagsOf("direct");
  const floorFirst = median(directLags.map((lag) => lag.first));
  const floorLast = median(directLags.map((lag) => lag.last));
  const added = (path: Path, which: "first" | "last") =>
    summarize(lagsOf(path).map((lag) => lag[which] - (which === "first" ? floorFirst : floorLast)));
  const directPace = summarizeRate(runs.get("direct")!.map(enginePace));
  const relayTarget = { target: "≥ 0.95× direct", check: ({ ratio }: { ratio: number | null }) => ratio !== null && ratio >= 0.95 };
  const figures: Figure[] = [
    figure({ id: "relay.direct.tokens_per_s", label: "worker SSE read directly", unit: "tok/s", summary: direct }),
    figure({
      id: "relay.queen.tokens_per_s",
      label: "through the queen's /v1/inference",
      unit: "tok/s",
      summary: rate("queen"),
      baseline: { label: "direct", summary: direct },
      ...relayTarget,
    }),
    chatFailure
      ? skippedFigure("relay.chat.tokens_per_s", "through /v1/chat/completions", "tok/s", chatFailure, relayTarget.target)
      : figure({
          id: "relay.chat.tokens_per_s",
          label: "through /v1/chat/completions (chunks with text)",
          unit: "tok/s",
          summary: rate("chat"),
          baseline: { label: "direct, same messages, tokens with text", summary: rate("directChat") },
          ...relayTarget,
        }),
    browserOk
      ? figure({
          id: "relay.browser.tokens_per_s",
          label: "through the renderer's HTTP transport in Chromium",
          unit: "tok/s",
          summary: rate("browser"),
          baseline: { label: "direct", summary: direct },
          ...relayTarget,
        })
      : skippedFigure("relay.browser.tokens_per_s", "through the renderer's HTTP transport in Chromium", "tok/s", browserProblem ?? "no browser", relayTarget.target),
    ...(["queen", "browser"] as const)
      .filter((path) => runs.has(path))
      .map((path) =>
        figure({
          id: `relay.${path}.engine_pace`,
          label: `engine pace during the ${path === "queen" ? "queen's" : "renderer's"} runs (worker-reported)`,
          unit: "tok/s",
          summary: summarizeRate(runs.get(path)!.map(enginePace)),
          baseline: { label: "during direct runs", summary: directPace },
        }),
      ),
    ...(["queen", "browser"] as const)
      .filter((path) => runs.has(path))
      .map((path) =>
        figure({
          id: `relay.${path}.keeps_up`,
          label: `${path === "queen" ? "queen" : "renderer"}: delivered ÷ engine pace, same runs`,
          unit: "×",
          summary: summarizeRate(runs.get(path)!.map((run) => tokensPerSecond(run) / enginePace(run))),
          note: "1.0 means the path delivers tokens as fast as the engine makes them in that run",
        }),
      ),
    figure({
      id: "relay.direct.last_token_lag_ms",
      label: "last token: arrival − worker emission, direct",
      unit: "ms",
      summary: summarize(directLags.map((lag) => lag.last)),
    }),
    ...(["queen", "browser"] as const).flatMap((path) => {
      const label = path === "queen" ? "queen" : "renderer in Chromium";
      if (!runs.has(path)) {
        return [skippedFigure(`relay.${path}.added_last_ms`, `added latency per token, ${label} (last token)`, "ms", browserProblem ?? "no browser")];
      }
      return [
        figure({ id: `relay.${path}.added_first_ms`, label: `added latency per token, ${label} (first token)`, unit: "ms", summary: added(path, "first") }),
        figure({ id: `relay.${path}.added_last_ms`, label: `added latency per token, ${label} (last token)`, unit: "ms", summary: added(path, "last") }),
      ];
    }),
  ];
  notes.push(
    `${relayRuns} runs per path of ${maxTokens} tokens (prompt "${PROMPT}", seed ${SEED}, 1 thread), paths interleaved, after one unmeasured round; tokens/s = tokens / (request sent → last token arrived).`,
    "The chat route sends the prompt as chat messages (the worker renders its chat template) and streams one chunk per token that carries text (the random test model emits many partial UTF-8 bytes, which carry none), so its baseline is the worker read directly with the same messages, counting the same tokens.",
    "Added latency per token: the token's arrival minus its emission by the worker (exact for the first and the last token, from the worker's `end` event: ttft_ms, decode_ms), minus the median of the same for direct reads. It includes the request's trip to the worker (section 2 isolates that); a relay that falls behind shows as a last-token figure above the first-token one.",
    "The browser path is the renderer's own code (src/renderer/api/http-transport.ts: fetch → src/shared/sse.ts → contract validation) run in Chromium against the same queen; the Electron IPC path needs Electron, which cannot run here.",
  );
  return { id: "relay", title: TITLE, status: "ok", seconds: 0, figures, notes };
}
