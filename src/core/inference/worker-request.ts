import { Agent, request, type IncomingMessage } from "node:http";
import { SseParser } from "../../shared/sse.js";
import { SSE_DONE } from "../../shared/contract/index.js";

/**
 * The queen's connections to its workers' API (their SSH local forwards): kept alive between jobs,
 * so that a warm request goes out on an open socket. node:http rather than fetch: undici's fetch
 * spends about a millisecond of JavaScript per request (Request, Headers, web streams) on a path
 * where the queen should add less than that. Idle sockets close after 4 s, before a worker's own
 * 5 s keep-alive timeout (src/worker/worker-process.ts) can close one under a new request.
 */
const workerAgent = new Agent({ keepAlive: true, timeout: 4_000 });

/** A worker's answer: its status, and its body as a stream not yet read. */
export type WorkerAnswer = IncomingMessage;

/** POSTs a JSON body to a worker's API with its token; resolves once the answer's headers arrive. */
export function postToWorker(url: string, token: string, body: string, signal: AbortSignal, accept = "application/json"): Promise<WorkerAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      agent: workerAgent,
      signal,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        accept,
      },
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end(body);
  });
}

/** DELETEs a resource of a worker's API (a job, to cancel it) with its token; resolves with the status once answered. */
export function deleteOnWorker(url: string, token: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "DELETE", agent: workerAgent, signal, headers: { authorization: `Bearer ${token}` } });
    req.once("response", (answer) => {
      answer.resume();
      answer.once("end", () => resolve(answer.statusCode ?? 0));
      answer.once("error", reject);
    });
    req.once("error", reject);
    req.end();
  });
}

/** Reads a whole answer as text (an error body). */
export function answerText(answer: WorkerAnswer): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    answer.setEncoding("utf8");
    answer.on("data", (chunk: string) => (text += chunk));
    answer.once("end", () => resolve(text));
    answer.once("error", reject);
  });
}

/**
 * Reads an SSE answer, handing each message's data to `onData` as it arrives; resolves true once
 * `[DONE]` came, false when the answer ended without it. The answer is read to its end either way
 * (so its socket goes back to the pool); rejects when the connection breaks or `onData` throws.
 */
export function readSseData(answer: WorkerAnswer, onData: (data: string) => void): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const parser = new SseParser();
    let done = false;
    let failed = false;
    answer.setEncoding("utf8");
    answer.on("data", (chunk: string) => {
      if (done || failed) return;
      try {
        for (const message of parser.push(chunk)) {
          if (message.data === SSE_DONE) {
            done = true;
            return;
          }
          onData(message.data);
        }
      } catch (error) {
        failed = true;
        answer.destroy();
        reject(error);
      }
    });
    answer.once("end", () => resolve(done));
    answer.once("error", reject);
    // A connection cut before the end closes the answer without "end" (and maybe without "error").
    answer.once("close", () => {
      if (!answer.complete) reject(new Error("the connection closed before the end of the answer"));
    });
  });
}
