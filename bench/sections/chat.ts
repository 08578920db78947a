import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { ChatMessage } from "../../src/shared/contract/index.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "../../test/helpers/tiny-gguf.js";
import type { BenchContext } from "../lib/context.js";
import { NODE, type BenchFleet } from "../lib/fleet.js";
import { figure, type Figure, type SectionResult } from "../lib/report.js";
import { summarize, summarizeRate } from "../lib/stats.js";
import { assertStreamOk, rbeeEvents, timedPost, type TimedEvent } from "../lib/timed-stream.js";

const TITLE = "6. Chat";
const HISTORIES = [100, 500, 1_500] as const;
const SYSTEM: ChatMessage = { role: "system", content: "You are a tiny benchmark model." };

/** One streamed inference through the queen: its events, time to first token and end event. */
interface Turn {
  readonly events: readonly TimedEvent[];
  readonly ttftMs: number;
  readonly text: string;
  readonly workerId: string;
  readonly tokensIn: number;
  readonly tokensCached: number;
}

async function infer(fleet: BenchFleet, body: Record<string, unknown>, what: string): Promise<Turn> {
  const answer = await timedPost(`${fleet.queen.baseUrl}/v1/inference`, fleet.queen.token, { node: NODE, temperature: 0, seed: 1, ...body });
  assertStreamOk(answer, what);
  const events = rbeeEvents(answer);
  const failed = events.find((e) => e.type === "error");
  if (failed) throw new Error(`${what}: ${JSON.stringify(failed.event)}`);
  const first = events.find((e) => e.type === "token");
  const end = events.find((e) => e.type === "end")?.event;
  const started = events.find((e) => e.type === "started")?.event;
  if (!first || !end || !started) throw new Error(`${what}: no token, started or end event`);
  return {
    events,
    ttftMs: first.t,
    text: events.map((e) => (e.type === "token" ? String(e.event.t) : "")).join(""),
    workerId: String(started.worker_id),
    tokensIn: Number(end.tokens_in ?? 0),
    tokensCached: Number(end.tokens_cached ?? 0),
  };
}

async function spawn(fleet: BenchFleet, modelRef: string, slots: number): Promise<string> {
  const answer = await timedPost(`${fleet.queen.baseUrl}/v1/workers/spawn`, fleet.queen.token, {
    node_name: NODE,
    model_ref: modelRef,
    slots,
    ctx: 4_096,
  });
  assertStreamOk(answer, "spawning a chat worker");
  const last = rbeeEvents(answer).at(-1)?.event as { type?: string; worker?: { id: string } } | undefined;
  if (last?.type !== "worker" || !last.worker) throw new Error(`the spawn ended with ${JSON.stringify(last)}`);
  return last.worker.id;
}

/** One exchange of filler words, `chars` characters in all. */
function history(chars: number): ChatMessage[] {
  const words = Array.from({ length: Math.ceil(chars / 4) + 1 }, (_, i) => `w${(i * 7919) % 1000}`).join(" ").slice(0, chars);
  const half = Math.floor(words.length / 2);
  return [{ role: "user", content: words.slice(0, half) }, { role: "assistant", content: words.slice(half) }];
}

/**
 * Follow-up turns through the queen on one worker: the first turn primes the slot, the follow-up
 * (history + answer + a new question) is timed with the cache and then again without it
 * (`cache_prompt: false`), at each history length. Then the CPU thread default against each
 * explicit count, and the affinity of interleaved conversations over two workers.
 */
export async function runChat(ctx: BenchContext): Promise<SectionResult> {
  const fleet = ctx.fleet;
  if (!fleet) return { id: "chat", title: TITLE, status: "skipped", reason: ctx.fleetError ?? "no fleet", seconds: 0, figures: [], notes: [] };
  const modelPath = join(ctx.dir, "chat.gguf");
  await writeTinyGguf(modelPath, { seed: 11, chatTemplate: CHATML_TEMPLATE, contextLength: 8_192, text: "printable" });
  const modelRef = `file:${modelPath}`;
  const spawned: string[] = [];
  const figures: Figure[] = [];
  const notes: string[] = [];
  try {
    spawned.push(await spawn(fleet, modelRef, 1));
    ctx.log("chat: one worker of one slot; calibrating characters per token");
    // Prompt tokens grow linearly with the filler's length: two probes give the slope and the fixed part.
    const tokensOf = async (chars: number): Promise<number> =>
      (await infer(fleet, { model: modelRef, messages: [...history(chars), { role: "user", content: "Question 0?" }], max_tokens: 1, cache_prompt: false }, "calibration")).tokensIn;
    const [small, large] = [await tokensOf(200), await tokensOf(1_000)];
    const tokensPerChar = (large - small) / 800;
    const fixedTokens = small - 200 * tokensPerChar;
    const charsFor = (tokens: number): number => Math.max(20, Math.round((tokens - fixedTokens) / tokensPerChar));

    const reuse = new Map<number, number[]>();
    const fresh = new Map<number, number[]>();
    const measured = new Map<number, number>();
    const cached: number[] = [];
    for (const target of HISTORIES) {
      const base = history(charsFor(target));
      for (let run = 0; run < ctx.settings.chatRuns + 1; run++) {
        const ask: ChatMessage = { role: "user", content: `Question ${run}?` };
        const first = await infer(fleet, { model: modelRef, messages: [...base, ask], max_tokens: 4 }, "first turn");
        const followUp = [...base, ask, { role: "assistant" as const, content: first.text }, { role: "user" as const, content: `And then ${run}?` }];
        const on = await infer(fleet, { model: modelRef, messages: followUp, max_tokens: 1 }, "follow-up with the cache");
        const off = await infer(fleet, { model: modelRef, messages: followUp, max_tokens: 1, cache_prompt: false }, "follow-up without");
        if (run === 0) continue; // the first round warms the worker's buffers for this length
        reuse.set(target, [...(reuse.get(target) ?? []), on.ttftMs]);
        fresh.set(target, [...(fresh.get(target) ?? []), off.ttftMs]);
        measured.set(target, on.tokensIn);
        if (target === 1_500) cached.push(on.tokensIn === 0 ? 0 : on.tokensCached / on.tokensIn);
      }
    }
    const short = summarize(reuse.get(100) ?? []);
    for (const target of HISTORIES) {
      const label = `follow-up TTFT, ~${target.toLocaleString("en-US")}-token conversation (${measured.get(target)} prompt tokens)`;
      const withCache = summarize(reuse.get(target) ?? []);
      const without = summarize(fresh.get(target) ?? []);
      figures.push(
        figure({
          id: `chat.ttft.reuse_${target}_ms`,
          label: `${label}: cache on`,
          unit: "ms",
          summary: withCache,
          baseline: { label: "100-token history, cache on", summary: short },
          ...(target === 1_500 ? { target: "≤ 1.3× the 100-token one", check: ({ ratio }: { ratio: number | null }) => ratio !== null && ratio <= 1.3 } : {}),
        }),
        figure({
          id: `chat.ttft.fresh_${target}_ms`,
          label: `${label}: cache off`,
          unit: "ms",
          summary: without,
          baseline: { label: "cache on", summary: withCache },
          ...(target === 1_500 ? { target: "≥ 5× the cache-on TTFT", check: ({ ratio }: { ratio: number | null }) => ratio !== null && ratio >= 5 } : {}),
        }),
      );
    }
    figures.push(
      figure({
        id: "chat.cached_share_1500",
        label: "share of the 1,500-token follow-up's prompt taken from the cache",
        unit: "%",
        summary: summarizeRate(cached.map((share) => share * 100)),
      }),
    );

    ctx.log("chat: tokens/s with the thread default against each explicit count");
    figures.push(...(await threadFigures(ctx, modelPath)));

    ctx.log("chat: affinity of four interleaved conversations over two workers");
    await stopWorker(fleet, spawned.shift()!);
    spawned.push(await spawn(fleet, modelRef, 2), await spawn(fleet, modelRef, 2));
    figures.push(...(await affinityFigures(ctx, fleet, modelRef)));
    notes.push(
      `Follow-ups: ${ctx.settings.chatRuns} rounds per history length after one warm-up round, on one worker of one slot (ctx 4,096), max_tokens 1, temperature 0; TTFT is request sent → first token event through the queen. "Cache off" is the same follow-up with cache_prompt: false, right after the cache-on one.`,
      "Threads: the same model in a fresh process per measurement (bench/floor/engine-rate.mjs: the worker's own engine code from the build, one slot, the same prompt), tokens/s of the second of two generations of a fixed length; settings visited in rotating order each round, median of the rounds.",
      "Affinity: two workers of two slots each; four conversations of the same system prompt, turns interleaved A1 B1 C1 D1 A2 …, one at a time (slots free). A hit is a turn served by the worker of the conversation's previous turn; a cache hit is one whose tokens_cached covers at least the previous turn's prompt.",
    );
    return { id: "chat", title: TITLE, status: "ok", seconds: 0, figures, notes };
  } finally {
    for (const id of spawned) await stopWorker(fleet, id).catch(() => undefined);
  }
}

async function stopWorker(fleet: BenchFleet, id: string): Promise<void> {
  await fleet.api.delete(`/v1/workers/${encodeURIComponent(id)}`);
}

const ENGINE_RATE_SCRIPT = resolve("bench/floor/engine-rate.mjs");

/**
 * Tokens/s of the worker's engine in a fresh process with `threads` (undefined: the worker's own
 * choice): one process per measurement, as each worker is one process (llama.cpp's thread pool
 * outlives an engine in the same process, which would tilt the next measurement).
 */
function generationRate(ctx: BenchContext, modelPath: string, threads: number | undefined): Promise<{ rate: number; chosen: number }> {
  const args = [ENGINE_RATE_SCRIPT, ctx.app.root, modelPath, String(ctx.settings.chatThreadTokens), ...(threads === undefined ? [] : [String(threads)])];
  return new Promise((resolveRate, reject) => {
    execFile(process.execPath, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`the engine rate script failed: ${stderr.slice(-500) || error.message}`));
        return;
      }
      const { threads: chosen, tokens_per_second: rate } = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { threads: number; tokens_per_second: number };
      resolveRate({ rate, chosen });
    });
  });
}

/**
 * The thread default against every explicit count from 1 to the machine's cores, in rounds that
 * visit each setting once (in a rotating order), so that no setting always runs in the same
 * moment of the machine's load; one warm-up round first.
 */
async function threadFigures(ctx: BenchContext, modelPath: string): Promise<Figure[]> {
  const cores = Math.max(1, availableParallelism());
  const settings: (number | undefined)[] = [undefined, ...Array.from({ length: cores }, (_, i) => i + 1)];
  const rates = new Map<number | undefined, number[]>(settings.map((setting) => [setting, []]));
  let chosen = 0;
  for (let round = 0; round <= ctx.settings.chatThreadRuns; round++) {
    for (let i = 0; i < settings.length; i++) {
      const setting = settings[(round + i) % settings.length];
      const measured = await generationRate(ctx, modelPath, setting);
      if (setting === undefined) chosen = measured.chosen;
      if (round > 0) rates.get(setting)!.push(measured.rate);
    }
  }
  const explicit = settings.filter((setting): setting is number => setting !== undefined);
  const best = explicit.reduce((a, b) => (summarizeRate(rates.get(b)!).median > summarizeRate(rates.get(a)!).median ? b : a));
  return [
    figure({
      id: "chat.threads.unset_tps",
      label: `tokens/s with --threads unset (chose ${chosen})`,
      unit: "tok/s",
      summary: summarizeRate(rates.get(undefined)!),
      baseline: { label: `best: --threads ${best}`, summary: summarizeRate(rates.get(best)!) },
      target: "≥ 0.9× the best",
      check: ({ ratio }) => ratio !== null && ratio >= 0.9,
    }),
    ...explicit.map((threads) =>
      figure({ id: `chat.threads.${threads}_tps`, label: `tokens/s with --threads ${threads}`, unit: "tok/s", summary: summarizeRate(rates.get(threads)!) }),
    ),
  ];
}

async function affinityFigures(ctx: BenchContext, fleet: BenchFleet, modelRef: string): Promise<Figure[]> {
  const outcome = async (session: boolean): Promise<{ hits: number; cacheHits: number; turns: number }> => {
    const conversations = ["a", "b", "c", "d"].map((name) => ({ name, messages: [SYSTEM] as ChatMessage[], last: undefined as Turn | undefined }));
    let hits = 0;
    let cacheHits = 0;
    let turns = 0;
    for (let turn = 1; turn <= ctx.settings.chatAffinityTurns; turn++) {
      for (const conversation of conversations) {
        conversation.messages.push({ role: "user", content: `${conversation.name} ${session ? "s" : "p"} turn ${turn}: tell me more.` });
        const answer = await infer(
          fleet,
          { model: modelRef, messages: conversation.messages, max_tokens: 8, ...(session ? { session: `bench-${conversation.name}` } : {}) },
          `conversation ${conversation.name}, turn ${turn}`,
        );
        conversation.messages.push({ role: "assistant", content: answer.text });
        if (conversation.last) {
          turns += 1;
          if (answer.workerId === conversation.last.workerId) hits += 1;
          if (answer.tokensCached >= conversation.last.tokensIn) cacheHits += 1;
        }
        conversation.last = answer;
      }
    }
    return { hits, cacheHits, turns };
  };
  const figures: Figure[] = [];
  for (const session of [true, false]) {
    const { hits, cacheHits, turns } = await outcome(session);
    const how = session ? "with session ids" : "without session ids (shared beginnings only)";
    figures.push(
      figure({
        id: `chat.affinity.${session ? "session" : "prefix"}_hit_pct`,
        label: `affinity hits, ${how} (${hits} of ${turns} follow-ups)`,
        unit: "%",
        summary: { median: (hits / turns) * 100, p99: (hits / turns) * 100, n: turns },
        target: "100 % while slots are free",
        check: ({ median }) => median >= 100,
      }),
      figure({
        id: `chat.affinity.${session ? "session" : "prefix"}_cache_pct`,
        label: `follow-ups whose whole previous prompt came from the cache, ${how} (${cacheHits} of ${turns})`,
        unit: "%",
        summary: { median: (cacheHits / turns) * 100, p99: (cacheHits / turns) * 100, n: turns },
      }),
    );
  }
  return figures;
}
