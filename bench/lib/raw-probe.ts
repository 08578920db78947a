import { connect } from "node:net";
import { performance } from "node:perf_hooks";

/** The worker answered the probe with an error status instead of a stream. */
export class ProbeRefused extends Error {
  constructor(
    readonly statusLine: string,
    readonly body: string,
  ) {
    super(`the probe was refused: ${statusLine} ${body}`);
  }
}

/**
 * One inference request written as a single segment on a connection that has just served a
 * `GET /health` (as a kept-alive connection has), timed to the `started` event. Raw, so that the
 * transport's behaviour is measured without any HTTP client's write pattern.
 */
export function probeStarted(baseUrl: string, token: string, timeoutMs = 15_000): Promise<number> {
  const url = new URL(baseUrl);
  const body = JSON.stringify({ prompt: "hello", max_tokens: 1, seed: 3 });
  const request =
    `POST /v1/inference HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no started event from ${baseUrl} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setNoDelay(true);
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    let phase: "health" | "inference" = "health";
    let received = "";
    let sent = 0;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
      if (phase === "health" && received.includes("\r\n\r\n") && received.includes("}")) {
        phase = "inference";
        received = "";
        // Let the connection go quiet first, as between two requests of a client.
        setTimeout(() => {
          sent = performance.now();
          socket.write(request);
        }, 5);
      } else if (phase === "inference" && received.includes('"type":"started"')) {
        clearTimeout(timer);
        resolve(performance.now() - sent);
        socket.destroy();
      } else if (phase === "inference" && /^HTTP\/1\.1 (?!200)\d{3}/.test(received) && received.includes("}")) {
        // Refused (a worker still finishing the previous probe's job answers 503): say so, with its words.
        clearTimeout(timer);
        socket.destroy();
        reject(new ProbeRefused(received.split("\r\n")[0] ?? "", received.slice(received.indexOf("\r\n\r\n") + 4, 300)));
      }
    });
    socket.write(`GET /health HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  });
}
