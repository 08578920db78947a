import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody, type ChatMessage, type EndEvent, type StreamEvent } from "../../src/shared/contract/index.js";
import { spawnNodeScript, type RunningProcess } from "../helpers/process.js";
import { readStreamEvents, streamText } from "../helpers/sse.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

// Prefix (KV cache) reuse, through the real worker program and its HTTP API. The model writes only
// printable ASCII, whose text tokenizes back into the very tokens it generated: an answer sent back
// as the next turn's assistant message then renders as the tokens the slot holds (a model whose
// answers do not round-trip shares less, which is the tokenizer's doing, not the cache's).

const BIN = resolve("dist/bin/llm-worker-rbee.js");
const TOKEN = `prefix-test-${randomBytes(16).toString("hex")}`;
const LISTENING = /^llm-worker-rbee listening on (http:\/\/127\.0\.0\.1:\d+)$/;

type Worker = { readonly process: RunningProcess; readonly url: string };

let dir: string;
let solo: Worker; // 1 slot, ctx 1024
let pair: Worker; // 2 slots, ctx 1024
let small: Worker; // 1 slot, ctx 256

async function startWorker(modelPath: string, id: string, slots: number, ctx: number): Promise<Worker> {
  const args = ["--worker-id", id, "--model", modelPath, "--model-ref", "tiny-test", "--token", TOKEN, "--threads", "1"];
  const child = spawnNodeScript(BIN, [...args, "--slots", String(slots), "--ctx", String(ctx)]);
  const [, url = ""] = await child.waitForLine(LISTENING);
  await child.waitForLine(/loaded tiny-test on cpu/, { stream: "stderr" });
  return { process: child, url };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-prefix-test-"));
  const modelPath = join(dir, "tiny-printable.gguf");
  await writeTinyGguf(modelPath, { seed: 42, eos: "never", text: "printable" });
  [solo, pair, small] = await Promise.all([
    startWorker(modelPath, "w-solo", 1, 1024),
    startWorker(modelPath, "w-pair", 2, 1024),
    startWorker(modelPath, "w-small", 1, 256),
  ]);
});

afterAll(async () => {
  await Promise.all([solo?.process.stop(), pair?.process.stop(), small?.process.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function infer(worker: Worker, body: object): Promise<Response> {
  return fetch(`${worker.url}/v1/inference`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

type Answer = { readonly text: string; readonly end: EndEvent };

/** Runs one job to its end; `onEvent` sees each event as it arrives. */
async function answer(worker: Worker, body: object, onEvent?: (event: StreamEvent) => void | Promise<void>): Promise<Answer> {
  const response = await infer(worker, body);
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const { events, done } = await readStreamEvents(response, onEvent);
  expect(done).toBe(true);
  const end = events.at(-1);
  if (end?.type !== "end") throw new Error(`stream did not end with "end": ${JSON.stringify(events.slice(-3))}`);
  return { text: streamText(events), end };
}

async function refusal(worker: Worker, body: object): Promise<{ status: number; error: ErrorBody["error"] }> {
  const response = await infer(worker, body);
  return { status: response.status, error: ErrorBody.parse(await response.json()).error };
}

const GREEDY = { temperature: 0, seed: 1 } as const;

describe("prefix reuse", () => {
  it("a conversation's second turn reads from the slot all of the first turn but its last sampled token", async () => {
    const first = [{ role: "user", content: "Hello there" }] as const;
    const turn1 = await answer(solo, { messages: first, max_tokens: 24, ...GREEDY, cache_prompt: false });
    expect(turn1.end).toMatchObject({ tokens_cached: 0, tokens_out: 24, stop_reason: "max_tokens" });
    expect(turn1.text).toMatch(/^[!-~ ]+$/);

    const second = [...first, { role: "assistant", content: turn1.text }, { role: "user", content: "And now, another question?" }];
    const turn2 = await answer(solo, { messages: second, max_tokens: 24, ...GREEDY });
    // The slot holds turn 1's prompt and its answer but the last token: a job ends when that token
    // is sampled, before it is evaluated. The chat template renders turn 1 again as the same tokens,
    // so the second turn shares exactly that much, no less (no more can be held).
    expect(turn2.end.tokens_cached).toBe(turn1.end.tokens_in! + turn1.end.tokens_out - 1);
    expect(turn2.end.tokens_in).toBeGreaterThan(turn2.end.tokens_cached! + 1);
  });

  it("at temperature 0 answers the same with the cache as without it, also when the whole prompt is cached", async () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "You answer in riddles." },
      { role: "user", content: "What walks on four legs?" },
    ];
    const body = { messages, max_tokens: 32, ...GREEDY };
    const fresh = await answer(solo, { ...body, cache_prompt: false });
    expect(fresh.end.tokens_cached).toBe(0);
    // The same prompt again: all of it is in the slot, but its last token is evaluated again for the
    // logits of the first answer token.
    const cached = await answer(solo, body);
    expect(cached.end.tokens_cached).toBe(fresh.end.tokens_in! - 1);
    expect(cached.end).toMatchObject({ tokens_in: fresh.end.tokens_in, tokens_out: 32, stop_reason: "max_tokens" });
    expect(cached.text).toBe(fresh.text);

    // A continuation: its prompt shares the first turn and most of its answer with the slot.
    const next = { ...body, messages: [...messages, { role: "assistant", content: fresh.text }, { role: "user", content: "And on two?" }] };
    const reused = await answer(solo, next);
    expect(reused.end.tokens_cached).toBe(fresh.end.tokens_in! + fresh.end.tokens_out - 1);
    const again = await answer(solo, { ...next, cache_prompt: false });
    expect(again.end.tokens_cached).toBe(0);
    expect(reused.text).toBe(again.text);
  });

  it("after a cancelled job the slot holds what it evaluated: the next job reuses it and answers as without the cache", async () => {
    const body = { prompt: "Once upon a time, in a land far away,", max_tokens: 32_768, ...GREEDY };
    let cancelled = false;
    const stopped = await answer(solo, { ...body, job_id: "job-cancel-prefix" }, async (event) => {
      if (event.type === "token" && event.i === 5 && !cancelled) {
        cancelled = true;
        const response = await fetch(`${solo.url}/v1/inference/job-cancel-prefix`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        expect(response.status).toBe(204);
      }
    });
    expect(stopped.end.stop_reason).toBe("cancelled");
    // The model never writes a newline: the shared beginning ends with the cancelled job's prompt.
    const longer = { ...body, prompt: `${body.prompt}\nthere lived`, max_tokens: 16 };
    const reused = await answer(solo, longer);
    expect(reused.end.tokens_cached).toBe(stopped.end.tokens_in);
    const fresh = await answer(solo, { ...longer, cache_prompt: false });
    expect(reused.text).toBe(fresh.text);
  });

  it("takes the free slot that holds the prompt's beginning; an unrelated prompt takes another and reuses nothing", async () => {
    const story = { prompt: "The lighthouse keeper counted the ships every night.", max_tokens: 8, ...GREEDY };
    const recipe = { prompt: "Mix two cups of flour with one cup of water, then knead.", max_tokens: 8, ...GREEDY };
    const storySlot = await answer(pair, story);
    expect(storySlot.end.tokens_cached).toBe(0);
    // Shares only BOS and the leading word-boundary piece with the story, far less than half of it:
    // it takes the never used slot, and reuses nothing.
    const recipeSlot = await answer(pair, recipe);
    expect(recipeSlot.end.tokens_cached).toBe(0);

    // The story's slot has been free the longest, so a pool that ignored the prompts would give
    // it to the recipe's continuation. (The model never writes a newline: each continuation shares
    // exactly its first prompt with the slot that ran it.)
    const moreRecipe = await answer(pair, { ...recipe, prompt: `${recipe.prompt}\nLet it rest.` });
    expect(moreRecipe.end.tokens_cached).toBe(recipeSlot.end.tokens_in);
    const moreStory = await answer(pair, { ...story, prompt: `${story.prompt}\nOne night` });
    expect(moreStory.end.tokens_cached).toBe(storySlot.end.tokens_in);
  });

  it("answers a conversation longer than the context without its oldest turns; refuses what cannot be cut", async () => {
    const turns: ChatMessage[] = [];
    for (let n = 1; n <= 8; n++) {
      turns.push({ role: "user", content: `Tell me about item number ${n}, please.` }, { role: "assistant", content: `Item ${n} is a thing.` });
    }
    const messages: ChatMessage[] = [{ role: "system", content: "Be brief." }, ...turns, { role: "user", content: "Which item was first?" }];
    const long = await answer(small, { messages, max_tokens: 16, ...GREEDY });
    expect(long.end).toMatchObject({ tokens_out: 16, stop_reason: "max_tokens" });
    const [, dropped = ""] = await small.process.waitForLine(/dropped its (\d+) oldest turn\(s\) \(\d+ of 18 messages\)/, {
      stream: "stderr",
    });
    const count = Number(dropped);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(8);
    // Room for the answer is left: min(max_tokens, a quarter of the context).
    expect(long.end.tokens_in! + 16).toBeLessThan(256);
    // It is the conversation without those turns, read whole.
    const shortened = [messages[0]!, ...turns.slice(2 * count), messages.at(-1)!];
    const same = await answer(small, { messages: shortened, max_tokens: 16, ...GREEDY, cache_prompt: false });
    expect(same).toMatchObject({ text: long.text, end: { tokens_in: long.end.tokens_in } });

    // A last user message that fills the context alone cannot be cut.
    const huge = await refusal(small, { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "y".repeat(300) }] });
    expect(huge.status).toBe(400);
    expect(huge.error.code).toBe("INVALID_REQUEST");
    expect(huge.error.details?.[0]?.field).toBe("messages");
    // Nor can a raw prompt, which has no turns.
    const raw = await refusal(small, { prompt: "x".repeat(300) });
    expect(raw).toMatchObject({ status: 400, error: { code: "INVALID_REQUEST", details: [{ field: "prompt" }] } });
  });

  it("a generation longer than the context goes on (its oldest tokens make room) and ends with max_tokens", async () => {
    const long = await answer(small, { prompt: "Write forever:", max_tokens: 600, ...GREEDY });
    expect(long.end).toMatchObject({ tokens_out: 600, stop_reason: "max_tokens" });
    // The slot keeps working: the same prompt again shares only BOS with what the shifted slot holds.
    const after = await answer(small, { prompt: "Write forever:", max_tokens: 8, ...GREEDY });
    expect(after.end).toMatchObject({ tokens_cached: 1, tokens_out: 8, stop_reason: "max_tokens" });
    expect(after.text).toBe(long.text.slice(0, after.text.length));
  });
});
