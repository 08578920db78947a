// `POST /v1/inference` is served on bare node:http ahead of Express on the API port
// (src/core/http/lean-inference.ts). Every refusal must be answered exactly as the API table's
// Express route answers it: the same queen's service behind the API listener and behind the
// Express app alone (createHttpApp), the same raw requests to both, compared answer for answer.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type OutgoingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createHttpApp } from "../../src/core/http/app.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";

let home: string;
let server: QueenServer;
let expressOnly: Server;
let expressPort: number;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-lean-inference-"));
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, log: () => {} });
  expressOnly = createServer(createHttpApp(server.service, { bindHost: "127.0.0.1", log: () => {} }));
  await new Promise<void>((resolve) => expressOnly.listen(0, "127.0.0.1", resolve));
  expressPort = (expressOnly.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => expressOnly.close(resolve));
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with exactly these headers (Host is the port's own unless given) and body bytes. */
function send(port: number, path: string, headers: OutgoingHttpHeaders, body: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** What must be equal: the status, the error body and the headers a client reads (not the date). */
function comparable(answer: Answer) {
  const { date: _date, connection: _connection, "keep-alive": _keepAlive, ...headers } = answer.headers;
  return { status: answer.status, headers, body: answer.body };
}

const token = () => server.queen.token;
const json = (extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders => ({ "content-type": "application/json", authorization: `Bearer ${token()}`, ...extra });
const unknownNode = JSON.stringify({ model: "tinyllama", node: "nowhere", prompt: "hi" });

const CASES: readonly { readonly what: string; readonly status: number; readonly path?: string; readonly headers: () => OutgoingHttpHeaders; readonly body: string | Buffer }[] = [
  { what: "no token", status: 401, headers: () => ({ "content-type": "application/json" }), body: unknownNode },
  { what: "a wrong token", status: 401, headers: () => json({ authorization: "Bearer nope" }), body: unknownNode },
  { what: "a foreign Host", status: 403, headers: () => json({ host: "evil.example:80" }), body: unknownNode },
  { what: "bad JSON", status: 400, headers: () => json(), body: "{not json" },
  { what: "a JSON string, not an object", status: 400, headers: () => json(), body: '"hi"' },
  { what: "no model", status: 400, headers: () => json(), body: JSON.stringify({ prompt: "hi" }) },
  { what: "a field of the wrong type", status: 400, headers: () => json(), body: JSON.stringify({ model: "tinyllama", prompt: 3 }) },
  { what: "not JSON by its Content-Type", status: 400, headers: () => json({ "content-type": "text/plain" }), body: unknownNode },
  { what: "an unknown node", status: 404, headers: () => json(), body: unknownNode },
  { what: "an unknown node, path in capitals with a trailing slash", status: 404, path: "/V1/Inference/", headers: () => json(), body: unknownNode },
  { what: "a gzip body (read by Express's parser)", status: 404, headers: () => json({ "content-encoding": "gzip" }), body: gzipSync(unknownNode) },
  { what: "an explicit UTF-8 charset", status: 404, headers: () => json({ "content-type": "application/json; charset=UTF-8" }), body: unknownNode },
  { what: "another charset (refused by Express's parser)", status: 400, headers: () => json({ "content-type": "application/json; charset=iso-8859-1" }), body: unknownNode },
  { what: "a stream_id query (read by Express's query parser)", status: 404, path: "/v1/inference?stream_id=stream-0001", headers: () => json(), body: unknownNode },
  { what: "a bad stream_id query", status: 400, path: "/v1/inference?stream_id=", headers: () => json(), body: unknownNode },
  { what: "a body over 1 MiB", status: 413, headers: () => json(), body: JSON.stringify({ model: "tinyllama", prompt: "x".repeat(1024 * 1024) }) },
];

test.each(CASES)("$what: answered $status, exactly as the Express route answers it", async ({ status, path = "/v1/inference", headers, body }) => {
  const lean = await send(server.port, path, headers(), body);
  const viaExpress = await send(expressPort, path, headers(), body);
  expect(lean.status).toBe(status);
  expect(comparable(lean)).toEqual(comparable(viaExpress));
  expect(JSON.parse(lean.body)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(lean.headers["x-content-type-options"]).toBe("nosniff");
});
