import { settleIdle, warmUp, type BenchFleet } from "../lib/fleet.js";
import { timeClientStream, type ClientApi, type TextArrivals } from "../lib/client-streams.js";
import type { BenchContext } from "../lib/context.js";
import { figure, skippedFigure, type Figure, type SectionResult } from "../lib/report.js";
import { median, summarize, summarizeRate } from "../lib/stats.js";

const TITLE = "7. Client APIs";
const SYSTEM = "You are a tiny benchmark model.";
const QUESTION = "hello";
/** Long enough that the first piece with text is among them (the random model's first tokens may carry none). */
const TTFT_TOKENS = 8;
const APIS: readonly Exclude<ClientApi, "rbee">[] = ["openai", "anthropic", "ollama"];
const LABELS: Record<ClientApi, string> = {
  rbee: "/v1/inference (messages)",
  openai: "OpenAI /v1/chat/completions",
  anthropic: "Anthropic /v1/messages",
  ollama: "Ollama /api/chat",
};

/** The same conversation and length, temperature 0, in each API's own request. */
function request(api: ClientApi, fleet: BenchFleet, maxTokens: number): { path: string; body: Record<string, unknown> } {
  const model = fleet.modelRef;
  const messages = [{ role: "system", content: SYSTEM }, { role: "user", content: QUESTION }];
  switch (api) {
    case "rbee":
      return { path: "/v1/inference", body: { model, messages, max_tokens: maxTokens, temperature: 0 } };
    case "openai":
      return { path: "/v1/chat/completions", body: { model, messages, max_tokens: maxTokens, temperature: 0, stream: true } };
    case "anthropic":
      return { path: "/v1/messages", body: { model, system: SYSTEM, messages: [{ role: "user", content: QUESTION }], max_tokens: maxTokens, temperature: 0, stream: true } };
    case "ollama":
      return { path: "/api/chat", body: { model, messages, stream: true, options: { num_predict: maxTokens, temperature: 0 } } };
  }
}

/** Pieces of text per second over the whole answer: pieces / (request sent → last piece arrived). */
function rate(run: TextArrivals): number {
  const last = run.times.at(-1);
  return last === undefined || last <= 0 ? Number.NaN : (run.times.length / last) * 1000;
}

/** Time to the first piece of text, in ms after the request was sent. */
const firstPiece = (run: TextArrivals): number => run.times[0] ?? Number.NaN;

/**
 * The OpenAI, Anthropic and Ollama streaming routes against `/v1/inference` on the same worker, in
 * the same run, as each API's client would see them: the same conversation at temperature 0 (so
 * the same text). Each client run is paired with a `/v1/inference` run right before or after it
 * (the order alternating), so that both see the same load of a shared machine; ratios and added
 * times are taken per pair, then the median over pairs.
 */
export async function runClients(ctx: BenchContext): Promise<SectionResult> {
  const fleet = ctx.fleet;
  if (!fleet) return { id: "clients", title: TITLE, status: "skipped", reason: ctx.fleetError ?? "no fleet", seconds: 0, figures: [], notes: [] };
  const { clientTokens, clientRuns, clientTtftPairs } = ctx.settings;
  await warmUp(fleet);
  const failed = new Map<ClientApi, string>();
  const texts = new Map<ClientApi, string>();
  const run = async (api: ClientApi, maxTokens: number): Promise<TextArrivals | null> => {
    if (failed.has(api)) return null;
    await settleIdle(fleet);
    const { path, body } = request(api, fleet, maxTokens);
    try {
      return await timeClientStream(api, `${fleet.queen.baseUrl}${path}`, fleet.queen.token, body);
    } catch (error) {
      if (api === "rbee") throw error;
      failed.set(api, (error as Error).message.split("\n")[0]!.slice(0, 300));
      ctx.log(`clients: ${api} failed: ${failed.get(api)}`);
      return null;
    }
  };
  /** `count` pairs of (rbee, api) runs of `maxTokens`, the order alternating. */
  const pairs = async (api: Exclude<ClientApi, "rbee">, maxTokens: number, count: number): Promise<{ rbee: TextArrivals; api: TextArrivals }[]> => {
    const out: { rbee: TextArrivals; api: TextArrivals }[] = [];
    for (let i = 0; i < count; i++) {
      const first = i % 2 === 0 ? await run("rbee", maxTokens) : await run(api, maxTokens);
      const second = i % 2 === 0 ? await run(api, maxTokens) : await run("rbee", maxTokens);
      if (!first || !second) return out;
      out.push(i % 2 === 0 ? { rbee: first, api: second } : { rbee: second, api: first });
    }
    return out;
  };
  // One unmeasured round opens every connection and fills the slot's cache with the prompt.
  for (const api of ["rbee", ...APIS] as const) {
    const warm = await run(api, clientTokens);
    if (warm) texts.set(api, warm.text);
  }

  const figures: Figure[] = [];
  const notes: string[] = [];
  const baseRates: number[] = [];
  const baseFirst: number[] = [];
  for (const api of APIS) {
    ctx.log(`clients: ${api}, ${clientRuns} pairs of ${clientTokens} tokens, then ${clientTtftPairs} short pairs`);
    const long = await pairs(api, clientTokens, clientRuns);
    const short = await pairs(api, TTFT_TOKENS, clientTtftPairs);
    const problem = failed.get(api);
    if (problem || long.length === 0 || short.length === 0) {
      figures.push(
        skippedFigure(`clients.${api}.tokens_per_s`, `${LABELS[api]}, streamed`, "tok/s", problem ?? "no run", "≥ 0.95× /v1/inference"),
        skippedFigure(`clients.${api}.added_ttft_ms`, `${LABELS[api]}: added time to first token`, "ms", problem ?? "no run", "< 1 ms"),
      );
      continue;
    }
    baseRates.push(...long.map((pair) => rate(pair.rbee)));
    baseFirst.push(...short.map((pair) => firstPiece(pair.rbee)));
    figures.push(
      figure({
        id: `clients.${api}.tokens_per_s`,
        label: `${LABELS[api]}, streamed`,
        unit: "tok/s",
        summary: summarizeRate(long.map((pair) => rate(pair.api))),
        baseline: { label: `${LABELS.rbee}, its pairs`, summary: summarizeRate(long.map((pair) => rate(pair.rbee))) },
      }),
      figure({
        id: `clients.${api}.tokens_per_s_ratio`,
        label: `${LABELS[api]} ÷ ${LABELS.rbee}, tokens/s per pair`,
        unit: "×",
        summary: summarizeRate(long.map((pair) => rate(pair.api) / rate(pair.rbee))),
        target: "≥ 0.95×",
        check: ({ median: value }) => value >= 0.95,
      }),
      figure({
        id: `clients.${api}.added_ttft_ms`,
        label: `${LABELS[api]}: added time to first token, per pair`,
        unit: "ms",
        summary: summarize(short.map((pair) => firstPiece(pair.api) - firstPiece(pair.rbee))),
        target: "< 1 ms",
        check: ({ median: value }) => value < 1,
      }),
    );
    if (texts.get(api) !== texts.get("rbee")) notes.push(`${LABELS[api]} answered another text than /v1/inference at temperature 0 (warm-up round).`);
  }
  figures.unshift(figure({ id: "clients.rbee.tokens_per_s", label: `${LABELS.rbee}, pieces of text per second (all pairs)`, unit: "tok/s", summary: summarizeRate(baseRates) }));
  notes.push(
    `Per API: ${clientRuns} pairs of ${clientTokens}-token answers for tokens/s, then ${clientTtftPairs} pairs of ${TTFT_TOKENS}-token answers for the time to first token; a pair is one run through the API and one through /v1/inference (system prompt + "${QUESTION}", temperature 0, 1 thread, an idle worker each time), their order alternating; /v1/inference's own time to first text was ${Math.round(median(baseFirst) * 100) / 100} ms (median).`,
    "A piece is one streamed message that carries text (a token whose text is not empty: the random test model emits partial UTF-8 bytes, which carry none and which no client API sends), counted alike on every path; tokens/s = pieces / (request sent → last piece arrived).",
  );
  return { id: "clients", title: TITLE, status: "ok", seconds: 0, figures, notes };
}
