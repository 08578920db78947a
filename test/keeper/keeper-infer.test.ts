import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runKeeper } from "../../src/keeper/cli.js";
import { endLine, progressLine } from "../../src/keeper/stream-lines.js";
import { SSE_DONE, type StreamEvent } from "../../src/shared/contract/index.js";

const TOKEN = "t".repeat(40);
const busy = (place: string) => `Every slot of tinyllama is busy: ${place}`;

/**
 * A stand-in for the queen's `POST /v1/inference` only: it records the request and streams the
 * given events. What is tested is rbee-keeper's side of the stream, not a queen.
 */
async function fakeInferenceQueen(events: readonly StreamEvent[]) {
  const requests: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/inference" || req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(404).end();
        return;
      }
      requests.push(JSON.parse(body));
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
      res.end(`data: ${SSE_DONE}\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function keeper(argv: readonly string[], queenUrl: string) {
  let stdout = "";
  let stderr = "";
  const code = await runKeeper(["--queen-url", queenUrl, ...argv], { RBEE_TOKEN: TOKEN }, {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    interrupted: new Promise<void>(() => undefined),
  });
  return { code, stdout, stderr };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("rbee-keeper infer", () => {
  it("prints each place in line on stderr as it moves, tokens on stdout, then the stats with the cached tokens; --session goes with the request", async () => {
    const queen = await fakeInferenceQueen([
      { type: "progress", stage: "queue", message: busy("3rd in line"), position: 3 },
      { type: "progress", stage: "queue", message: busy("2nd in line"), position: 2 },
      // Said again without a move: not printed again.
      { type: "progress", stage: "queue", message: busy("2nd in line"), position: 2 },
      { type: "progress", stage: "queue", message: busy("next in line"), position: 1 },
      { type: "started", job_id: "j1", worker_id: "w1", node_name: "gpu", model_ref: "tinyllama" },
      { type: "token", t: "Hello", i: 0 },
      { type: "token", t: " there", i: 1 },
      { type: "end", tokens_in: 500, tokens_cached: 412, tokens_out: 2, decode_ms: 20, ttft_ms: 9.6, stop_reason: "eos" },
    ]);
    close = queen.close;
    const run = await keeper(["infer", "--model", "tinyllama", "--prompt", "hi", "--session", "chat-42"], queen.url);
    expect(run).toEqual({
      code: 0,
      stdout: "Hello there\n",
      stderr: [
        `[queue] 3rd in line (${busy("3rd in line")})`,
        `[queue] 2nd in line (${busy("2nd in line")})`,
        `[queue] Next in line (${busy("next in line")})`,
        "[2 tokens, 100.0 tok/s, ttft 10 ms, 412 cached, eos]",
        "",
      ].join("\n"),
    });
    expect(queen.requests).toEqual([expect.objectContaining({ model: "tinyllama", prompt: "hi", session: "chat-42" })]);
  });

  it("without --session the request has none, and no cached tokens say nothing", async () => {
    const queen = await fakeInferenceQueen([
      { type: "progress", stage: "spawn", message: "Spawning tinyllama on gpu" },
      { type: "token", t: "ok", i: 0 },
      { type: "end", tokens_in: 5, tokens_cached: 0, tokens_out: 1, decode_ms: 10, ttft_ms: 10, stop_reason: "max_tokens" },
    ]);
    close = queen.close;
    const run = await keeper(["infer", "--model", "tinyllama", "--prompt", "hi"], queen.url);
    expect(run).toEqual({ code: 0, stdout: "ok\n", stderr: "[spawn] Spawning tinyllama on gpu\n[1 tokens, 100.0 tok/s, ttft 10 ms, max_tokens]\n" });
    expect(queen.requests[0]).not.toHaveProperty("session");
  });
});

describe("stream lines", () => {
  it("a queue event without a position, and the other stages, read as before", () => {
    expect(progressLine({ type: "progress", stage: "queue", message: "Every slot is busy" })).toBe("[queue] Every slot is busy");
    expect(progressLine({ type: "progress", stage: "queue", message: "busy", position: 12 })).toBe("[queue] 12th in line (busy)");
    expect(progressLine({ type: "progress", stage: "copy", message: "tiny.gguf from gpu", bytes: 512, bytes_total: 1024 })).toBe(
      "[copy] tiny.gguf from gpu 50% (512 B of 1.0 KiB)",
    );
    expect(endLine({ type: "end", tokens_out: 3, decode_ms: 0, ttft_ms: 0, stop_reason: "cancelled" })).toBe(
      "[3 tokens, — tok/s, ttft 0 ms, cancelled]",
    );
  });
});
