// Conversations stay on their worker and a busy model's requests wait in a visible, fair line: a
// real queen, a real sshd, an installed node and real workers on generated models.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ChatMessage, RegisteredWorker, StreamEvent } from "../../src/shared/contract/index.js";
import { addInstalledNode, postJson, spawnWorker } from "../helpers/installed-node.js";
import { jsonClient } from "../helpers/http-client.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readStreamEvents, streamText } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "../helpers/tiny-gguf.js";
import { until } from "../helpers/until.js";


let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
/** Served by two workers of one slot each. */
let pairModel: string;
/** Served by one worker of one slot; it never samples end-of-sequence, so a long job holds the slot. */
let soloModel: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-chat-scheduling-"));
  // Printable answers tokenize back into the tokens generated: the next turn can find them in the cache.
  await writeTinyGguf(join(dir, "pair.gguf"), { seed: 7, chatTemplate: CHATML_TEMPLATE, text: "printable" });
  await writeTinyGguf(join(dir, "solo.gguf"), { seed: 9, eos: "never", chatTemplate: CHATML_TEMPLATE });
  pairModel = `file:${join(dir, "pair.gguf")}`;
  soloModel = `file:${join(dir, "solo.gguf")}`;
  sshd = await startSshd();
  queen = await startQueen({ env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1" } });
  await addInstalledNode(queen, sshd, "box", join(dir, "node"));
  await Promise.all([
    spawnWorker(queen, { node_name: "box", model_ref: pairModel, slots: 1 }),
    spawnWorker(queen, { node_name: "box", model_ref: pairModel, slots: 1 }),
    spawnWorker(queen, { node_name: "box", model_ref: soloModel, slots: 1 }),
  ]);
}, 300_000);

afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function workers(model: string): Promise<RegisteredWorker[]> {
  const { body } = await jsonClient(queen.baseUrl, queen.token).get("/v1/workers/list");
  return (body.workers as RegisteredWorker[]).filter((worker) => worker.model_ref === model).sort((a, b) => a.id.localeCompare(b.id));
}

/** Waits until the queen sees every worker of the model with all its slots free. */
async function allIdle(model: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const listed = await workers(model);
    if (listed.length > 0 && listed.every((w) => w.state !== "loading" && w.slots_available === w.slots_total)) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`the workers of ${model} did not become idle: ${JSON.stringify(await workers(model))}`);
}

/** One inference stream read as it arrives: its events, and its job id once started. */
class LiveStream {
  readonly events: StreamEvent[] = [];
  readonly finished: Promise<void>;

  constructor(body: Record<string, unknown>, onEvent: (event: StreamEvent) => void = () => undefined) {
    this.finished = postJson(queen, "/v1/inference", body)
      .then((response) =>
        readStreamEvents(response, (event) => {
          this.events.push(event);
          onEvent(event);
        }),
      )
      .then(() => undefined);
  }

  get started(): Extract<StreamEvent, { type: "started" }> | undefined {
    return this.events.find((event): event is Extract<StreamEvent, { type: "started" }> => event.type === "started");
  }

  positions(): number[] {
    return this.events.flatMap((event) => (event.type === "progress" && event.stage === "queue" && event.position ? [event.position] : []));
  }

  async cancel(): Promise<void> {
    const jobId = this.started?.job_id;
    if (!jobId) throw new Error("not started");
    expect((await jsonClient(queen.baseUrl, queen.token).delete(`/v1/inference/${jobId}`)).status).toBe(204);
    await this.finished;
  }
}

/** Runs a request to its end and answers its events. */
async function complete(body: Record<string, unknown>): Promise<StreamEvent[]> {
  const stream = new LiveStream(body);
  await stream.finished;
  const error = stream.events.find((event) => event.type === "error");
  if (error) throw new Error(`the stream failed: ${JSON.stringify(error)}`);
  return stream.events;
}

describe("conversation affinity", () => {
  test("five turns of a session stay on the worker of its first turn while the other is free, each finding the last in its cache", async () => {
    await allIdle(pairModel);
    const [first, second] = await workers(pairModel);
    expect(second).toBeDefined();
    // With both free, the usual choice is the first by id: hold it with another job so that the
    // conversation starts on the second, then free it again; the turns must not move to it.
    const hold = new LiveStream({ model: pairModel, prompt: "an unrelated long job", max_tokens: 32_768, temperature: 0 });
    await until(() => hold.started !== undefined, "the holding job to start", 30_000);
    expect(hold.started?.worker_id).toBe(first!.id);

    const messages: ChatMessage[] = [{ role: "system", content: "You are a tiny test model." }];
    const served: string[] = [];
    const prompts: number[] = [];
    const cached: number[] = [];
    for (let turn = 1; turn <= 5; turn += 1) {
      messages.push({ role: "user", content: `Turn ${turn}: say something.` });
      const events = await complete({ model: pairModel, messages, session: "conversation-1", max_tokens: 6, temperature: 0 });
      const started = events.find((event) => event.type === "started");
      served.push(started?.type === "started" ? started.worker_id : "none");
      const end = events.find((event) => event.type === "end");
      prompts.push(end?.type === "end" ? (end.tokens_in ?? 0) : 0);
      cached.push(end?.type === "end" ? (end.tokens_cached ?? 0) : 0);
      messages.push({ role: "assistant", content: streamText(events) });
      if (turn === 1) {
        await hold.cancel();
        await allIdle(pairModel);
      }
    }
    expect(served).toEqual(Array(5).fill(second!.id));
    // Each follow-up's cache covers at least the whole previous prompt (and most of its answer).
    for (let turn = 1; turn < 5; turn += 1) expect(cached[turn], `turn ${turn + 1}`).toBeGreaterThanOrEqual(prompts[turn - 1]!);
  }, 120_000);
});

describe("the wait line", () => {
  test("with the one slot busy, a second and a third request wait at positions 1 and 2, then run in order", async () => {
    await allIdle(soloModel);
    const hold = new LiveStream({ model: soloModel, prompt: "hold the slot", max_tokens: 32_768, temperature: 0 });
    await until(() => hold.started !== undefined, "the holding job to start", 30_000);
    const second = new LiveStream({ model: soloModel, prompt: "second", max_tokens: 4, temperature: 0 });
    await until(() => second.positions().length > 0, "the second request's queue event");
    const third = new LiveStream({ model: soloModel, prompt: "third", max_tokens: 4, temperature: 0 });
    await until(() => third.positions().length > 0, "the third request's queue event");
    expect(second.positions()).toEqual([1]);
    expect(third.positions()).toEqual([2]);

    await hold.cancel();
    await Promise.all([second.finished, third.finished]);
    expect(second.events.map((event) => event.type)).toEqual(["progress", "started", "token", "token", "token", "token", "end"]);
    // The third moved up to 1 when the second took the slot, and ran after the second ended.
    expect(third.positions()).toEqual([2, 1]);
    expect(third.started).toBeDefined();
    expect(third.events.at(-1)).toMatchObject({ type: "end", stop_reason: "max_tokens" });
  }, 90_000);

  test("an interactive request queued after an API request runs first", async () => {
    await allIdle(soloModel);
    const hold = new LiveStream({ model: soloModel, prompt: "hold the slot again", max_tokens: 32_768, temperature: 0 });
    await until(() => hold.started !== undefined, "the holding job to start", 30_000);

    const order: string[] = [];
    let apiText = "";
    const api = postJson(queen, "/v1/chat/completions", {
      model: soloModel,
      messages: [{ role: "user", content: "a batch job through the API" }],
      max_tokens: 4,
      temperature: 0,
      stream: true,
    }).then(async (response) => {
      expect(response.status).toBe(200);
      const decoder = new TextDecoder();
      const reader = response.body!.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        apiText += decoder.decode(chunk.value, { stream: true });
        if (apiText.includes('"role":"assistant"') && !order.includes("api started")) order.push("api started");
      }
    });
    await until(() => apiText.includes("position 1 in line"), "the API request's queue comment");

    const person = new LiveStream(
      { model: soloModel, messages: [{ role: "user", content: "a person at the keyboard" }], max_tokens: 4, temperature: 0 },
      (event) => {
        if (event.type === "started" || event.type === "end") order.push(`person ${event.type === "end" ? "ended" : "started"}`);
      },
    );
    await until(() => person.positions().length > 0, "the interactive request's queue event");
    expect(person.positions()).toEqual([1]);
    await until(() => apiText.includes("position 2 in line"), "the API request moving back to 2");

    await hold.cancel();
    await Promise.all([api, person.finished]);
    expect(order).toEqual(["person started", "person ended", "api started"]);
    expect(apiText.trimEnd().endsWith("data: [DONE]")).toBe(true);
  }, 90_000);
});
