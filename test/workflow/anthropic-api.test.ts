// The Anthropic-compatible API with the official `@anthropic-ai/sdk` client against a real queen, a
// real sshd, an installed node and real workers on generated models: one install for the whole file.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startChatFleet, inferenceAnswer, type ChatFleet } from "../helpers/chat-fleet.js";
import type { QueenProcess } from "../helpers/queen-process.js";
import { workerOf, workersWhen } from "../helpers/worker-states.js";

let fleet: ChatFleet;
let queen: QueenProcess;
let chatModel: string;
let endlessModel: string;
let client: Anthropic;

const SYSTEM = "You are a tiny test model.";
const QUESTION = "Say hello.";

beforeAll(async () => {
  fleet = await startChatFleet("rbee-anthropic-");
  ({ queen, chatModel, endlessModel } = fleet);
  client = new Anthropic({ apiKey: queen.token, baseURL: queen.baseUrl, maxRetries: 0, timeout: 60_000 });
}, 300_000);

afterAll(async () => {
  await fleet?.stop();
});

const rbeeAnswer = (body: Record<string, unknown>) => inferenceAnswer(queen, body);

const textOf = (message: Anthropic.Message): string => message.content.map((block) => (block.type === "text" ? block.text : "")).join("");

describe("the official @anthropic-ai/sdk client against the queen", () => {
  const request = {
    model: "",
    max_tokens: 12,
    temperature: 0,
    system: SYSTEM,
    messages: [{ role: "user" as const, content: QUESTION }],
  };

  test("messages.create: the text and counts of the same request through /v1/inference", async () => {
    const model = chatModel;
    const rbee = await rbeeAnswer({ model, max_tokens: 12, temperature: 0, messages: [{ role: "system", content: SYSTEM }, { role: "user", content: QUESTION }] });
    const message = await client.messages.create({ ...request, model });
    expect(message).toMatchObject({ type: "message", role: "assistant", model, id: expect.stringMatching(/^msg_job-/) });
    expect(message.stop_reason).toBe(rbee.end.stop_reason === "max_tokens" ? "max_tokens" : "end_turn");
    expect(textOf(message)).toBe(rbee.text);
    expect(textOf(message).length).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBe(rbee.end.tokens_out);
    // Anthropic's input_tokens leaves out what was read from the cache: together they are the prompt.
    expect(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0)).toBe(rbee.end.tokens_in);
    // The same prompt again: the slot already holds it.
    expect(message.usage.cache_read_input_tokens).toBeGreaterThan(0);
  }, 60_000);

  test("messages.stream: Anthropic's event sequence, the same text and usage as without streaming", async () => {
    const model = chatModel;
    const plain = await client.messages.create({ ...request, model });
    const stream = client.messages.stream({ ...request, model });
    const types: string[] = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") deltas += event.delta.text;
    }
    const final = await stream.finalMessage();
    expect(types.slice(0, 2)).toEqual(["message_start", "content_block_start"]);
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(types.filter((type) => type === "content_block_delta").length).toBeGreaterThan(1);
    expect(deltas).toBe(textOf(plain));
    expect(textOf(final)).toBe(textOf(plain));
    expect(final.stop_reason).toBe(plain.stop_reason);
    expect(final.usage.output_tokens).toBe(plain.usage.output_tokens);
    expect(final.usage.input_tokens + (final.usage.cache_read_input_tokens ?? 0)).toBe(plain.usage.input_tokens + (plain.usage.cache_read_input_tokens ?? 0));
  }, 60_000);

  test("a system prompt is read, and a stop sequence ends the answer with stop_reason stop_sequence", async () => {
    const model = chatModel;
    const long = { ...request, model, max_tokens: 40 };
    const withSystem = await client.messages.create(long);
    const without = await client.messages.create({ ...long, system: undefined });
    const prompt = (message: Anthropic.Message) => message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0);
    expect(prompt(withSystem)).toBeGreaterThan(prompt(without));

    const full = textOf(withSystem);
    const stop = [...full.slice(3)].find((char) => /[A-Za-z0-9]/.test(char));
    expect(stop, `no letter or digit to stop on in ${JSON.stringify(full)}`).toBeDefined();
    const stopped = await client.messages.create({ ...long, stop_sequences: [stop!, "never-there"] });
    expect(stopped.stop_reason).toBe("stop_sequence");
    expect(stopped.stop_sequence).toBe(stop);
    expect(textOf(stopped)).toBe(full.slice(0, full.indexOf(stop!)));
  }, 60_000);

  test("a client that stops reading cancels the job: the worker is idle again", async () => {
    const stream = client.messages.stream({ ...request, model: endlessModel, max_tokens: 20_000, temperature: 1 });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === "content_block_delta") deltas += 1;
      if (deltas < 3) continue;
      // Busy first, so that the idle state below is the cancel's doing, not a state never left.
      await workersWhen(queen, (list) => workerOf(list, endlessModel)?.slots_available === 0);
      break;
    }
    const workers = await workersWhen(queen, (list) => workerOf(list, endlessModel)?.state === "idle" && workerOf(list, endlessModel)?.slots_available === 1);
    expect(workerOf(workers, endlessModel)).toMatchObject({ node_name: "box" });
  }, 30_000);

  test("the key works as x-api-key and as a bearer token; a bad key is the SDK's AuthenticationError", async () => {
    const bearer = new Anthropic({ authToken: queen.token, apiKey: null, baseURL: queen.baseUrl, maxRetries: 0 });
    expect((await bearer.messages.create({ ...request, model: chatModel, max_tokens: 2 })).type).toBe("message");
    // x-api-key is the queen's key everywhere, not only here.
    const listed = await fetch(`${queen.baseUrl}/v1/workers/list`, { headers: { "x-api-key": queen.token } });
    expect(listed.status).toBe(200);

    const wrong = new Anthropic({ apiKey: "not-the-token", baseURL: queen.baseUrl, maxRetries: 0 });
    const refused = await wrong.messages.create({ ...request, model: chatModel }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(refused).toMatchObject({ status: 401, error: { type: "error", error: { type: "authentication_error" } } });
    const anonymous = await fetch(`${queen.baseUrl}/v1/messages`, { method: "POST" });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ type: "error", error: { type: "authentication_error", message: expect.stringContaining("x-api-key") } });
  }, 30_000);

  test("errors come in Anthropic's shape with the right status", async () => {
    const unknown = await client.messages.create({ ...request, model: "claude-no-such-model" }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect(unknown).toMatchObject({ status: 404, error: { error: { type: "not_found_error", message: expect.stringContaining("claude-no-such-model") } } });

    const noMax = await client.messages.create({ ...request, model: chatModel, max_tokens: undefined as unknown as number }).catch((error: unknown) => error);
    expect(noMax).toBeInstanceOf(Anthropic.BadRequestError);
    expect(noMax).toMatchObject({ status: 400, error: { error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") } } });

    const image = await client.messages
      .create({ ...request, model: chatModel, messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] }] })
      .catch((error: unknown) => error);
    expect(image).toMatchObject({ status: 400, error: { error: { type: "invalid_request_error", message: expect.stringContaining("messages.0.content.0.type") } } });

    const raw = await fetch(`${queen.baseUrl}/v1/messages`, { method: "POST", headers: { "x-api-key": queen.token, "content-type": "application/json" }, body: "{ not json" });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ type: "error", error: { type: "invalid_request_error", message: "Request body is not valid JSON" } });
    const wrongVerb = await fetch(`${queen.baseUrl}/v1/messages/batches`, { headers: { "x-api-key": queen.token } });
    expect(wrongVerb.status).toBe(404);
    expect((await wrongVerb.json()).error.type).toBe("not_found_error");
  }, 30_000);
});
