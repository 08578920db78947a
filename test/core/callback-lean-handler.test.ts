// The worker callbacks are served on bare node:http (src/core/http/callback-routes.ts), on the
// callback listener and on the API port. These tests call a real queen process at both, as a worker
// through its tunnel and as a script with the queen token would, and check that they answer exactly
// what the Express stack did: the Host check, the token, the 1 MiB limit, JSON and the contract's
// field errors in the API's error body, and 404 for anything else on the callback listener.
import { Agent, request, type OutgoingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HeartbeatRequest, RegisterWorkerRequest, parseOrThrow } from "../../src/shared/contract/index.js";
import { listeningSockets } from "../helpers/listening-sockets.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { rawBytes } from "../security/raw-http.js";
import { workerRegistration } from "../helpers/worker-registration.js";

let queen: QueenProcess;
let apiPort: number;
let callbackPort: number;

beforeAll(async () => {
  queen = await startQueen({ env: { RBEE_HEARTBEAT_MS: "3600000" } });
  apiPort = Number(new URL(queen.baseUrl).port);
  const others = listeningSockets([queen.child.pid!]).filter((socket) => socket.port !== apiPort);
  expect(others.map((socket) => socket.address)).toEqual(["127.0.0.1"]);
  callbackPort = others[0]!.port;
});
afterAll(async () => {
  await queen?.stop();
});

interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: any;
}

/** One request with exactly these headers and body bytes (Host included, as given). */
function send(
  port: number,
  path: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer; agent?: Agent; chunked?: boolean } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "POST", headers: { host: `127.0.0.1:${port}`, ...options.headers }, agent: options.agent ?? false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: kept as text, and the test's expectation says so.
          }
          resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body });
        });
      },
    );
    req.on("error", reject);
    if (options.chunked && options.body !== undefined) {
      // Without Content-Length: the limit must hold while the body streams.
      const bytes = Buffer.from(options.body);
      for (let at = 0; at < bytes.length; at += 64 * 1024) req.write(bytes.subarray(at, at + 64 * 1024));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

const json = (token: string | undefined, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders => ({
  "content-type": "application/json",
  ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  ...extra,
});

const registration = (id: string) => workerRegistration(id, { node_name: "gpu1" });

/** The error body `parseOrThrow` makes of an input: what a refused body must be answered with. */
function contractError(parse: () => unknown): unknown {
  try {
    parse();
  } catch (error) {
    return (error as { toBody(): unknown }).toBody();
  }
  throw new Error("the contract accepted the input");
}

const JSON_TYPE = "application/json; charset=utf-8";

describe.each([
  ["the callback listener", () => callbackPort],
  ["the API port", () => apiPort],
])("the worker callbacks on %s", (where, portOf) => {
  const id = (n: number) => `${where === "the API port" ? "api" : "cb"}-${String(n).padStart(8, "0")}`;

  test("a registration: 201, then 200 for the same again; a heartbeat: 200 with the worker", async () => {
    const port = portOf();
    const body = JSON.stringify(registration(id(1)));
    const first = await send(port, "/v1/workers/register", { headers: json(queen.token), body });
    expect(first).toMatchObject({ status: 201, contentType: JSON_TYPE });
    expect(first.body.worker).toMatchObject({ id: id(1), node_name: "gpu1", slots_available: 1 });
    expect((await send(port, "/v1/workers/register", { headers: json(queen.token), body })).status).toBe(200);
    const beat = await send(port, "/v1/workers/heartbeat", { headers: json(queen.token), body: JSON.stringify({ worker_id: id(1), slots_available: 0 }) });
    expect(beat).toMatchObject({ status: 200, contentType: JSON_TYPE });
    expect(beat.body.worker).toMatchObject({ id: id(1), slots_available: 0 });
    const update = await send(port, "/v1/workers/update", { headers: json(queen.token), body: JSON.stringify({ worker_id: id(1), slots_available: 1 }) });
    expect(update.body.worker).toMatchObject({ id: id(1), slots_available: 1 });
  });

  test("Express's routing: a trailing slash, upper case and a query string reach the callback", async () => {
    const port = portOf();
    for (const path of ["/v1/workers/register/", "/V1/Workers/Register", "/v1/workers/register?x=1"]) {
      const answer = await send(port, path, { headers: json(queen.token), body: JSON.stringify(registration(id(2))) });
      expect(answer.status, path).toBeLessThan(202);
    }
  });

  test("no token or a wrong one: 401 UNAUTHORIZED, the body not even read", async () => {
    const port = portOf();
    const body = JSON.stringify(registration(id(3)));
    const missing = await send(port, "/v1/workers/register", { headers: json(undefined), body });
    expect(missing).toMatchObject({ status: 401, contentType: JSON_TYPE, body: { error: { code: "UNAUTHORIZED" } } });
    expect(missing.body.error.message).toMatch(/^Missing Authorization/);
    const wrong = await send(port, "/v1/workers/heartbeat", { headers: json("0".repeat(64)), body: "{not json" });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    expect(wrong.body.error.message).toMatch(/^Invalid token/);
  });

  test("a Host that is not this machine: 403 FORBIDDEN before the token is looked at", async () => {
    const port = portOf();
    const answer = await send(port, "/v1/workers/register", { headers: json(queen.token, { host: "rebound.example:80" }), body: JSON.stringify(registration(id(4))) });
    expect(answer).toMatchObject({ status: 403, contentType: JSON_TYPE, body: { error: { code: "FORBIDDEN" } } });
    expect(answer.body.error.message).toContain('Host "rebound.example:80"');
    const hostless = await rawBytes(port, `POST /v1/workers/heartbeat HTTP/1.0\r\nAuthorization: Bearer ${queen.token}\r\nContent-Length: 2\r\n\r\n{}`);
    expect(hostless).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
  });

  test("a body that is not JSON, or JSON but not an object: 400 INVALID_REQUEST 'not valid JSON'", async () => {
    const port = portOf();
    for (const body of ["{not json", '"a string"', "42", "{\"worker_id\": "]) {
      const answer = await send(port, "/v1/workers/heartbeat", { headers: json(queen.token), body });
      expect(answer, body).toMatchObject({ status: 400, contentType: JSON_TYPE, body: { error: { code: "INVALID_REQUEST", message: "Request body is not valid JSON" } } });
    }
  });

  test("a charset other than UTF-8, or a compressed body: 400 'must be UTF-8 JSON'", async () => {
    const port = portOf();
    const body = JSON.stringify({ worker_id: id(1) });
    for (const headers of [{ "content-type": "application/json; charset=latin1" }, { "content-encoding": "x-unknown" }]) {
      const answer = await send(port, "/v1/workers/heartbeat", { headers: json(queen.token, headers), body });
      expect(answer, JSON.stringify(headers)).toMatchObject({ status: 400, body: { error: { code: "INVALID_REQUEST", message: "Request body must be UTF-8 JSON" } } });
    }
  });

  test("over 1 MiB, with a Content-Length or streamed: 413 PAYLOAD_TOO_LARGE, and the connection still serves the next callback", async () => {
    const port = portOf();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = JSON.stringify({ worker_id: id(1), padding: "x".repeat(1024 * 1024) });
      for (const chunked of [false, true]) {
        const answer = await send(port, "/v1/workers/heartbeat", { headers: json(queen.token), body: big, agent, chunked });
        expect(answer, `chunked ${chunked}`).toMatchObject({
          status: 413,
          contentType: JSON_TYPE,
          body: { error: { code: "PAYLOAD_TOO_LARGE", message: "Request body is larger than 1 MiB" } },
        });
        const next = await send(port, "/v1/workers/heartbeat", { headers: json(queen.token), body: JSON.stringify({ worker_id: id(1) }), agent });
        expect(next.status).toBe(200);
      }
      // Just under the limit is read (and refused by the contract, not by size).
      const under = JSON.stringify({ worker_id: id(1), padding: "x".repeat(1024 * 1024 - 64) });
      expect((await send(port, "/v1/workers/heartbeat", { headers: json(queen.token), body: under, agent })).status).toBe(400);
    } finally {
      agent.destroy();
    }
  });

  test("a body the contract refuses: 400 with the contract's field details", async () => {
    const port = portOf();
    const bad = { ...registration(id(5)), slots_total: 0, backend: "abacus", extra: true };
    const answer = await send(port, "/v1/workers/register", { headers: json(queen.token), body: JSON.stringify(bad) });
    expect(answer).toMatchObject({ status: 400, contentType: JSON_TYPE });
    expect(answer.body).toEqual(contractError(() => parseOrThrow(RegisterWorkerRequest, bad)));
    expect(answer.body.error.details.map((detail: { field: string }) => detail.field)).toEqual(expect.arrayContaining(["slots_total", "backend"]));
    // An empty JSON body is `{}`, and a body that does not say it is JSON is no body at all.
    const empty = await send(port, "/v1/workers/heartbeat", { headers: json(queen.token), body: "" });
    expect(empty.body).toEqual(contractError(() => parseOrThrow(HeartbeatRequest, {})));
    const untyped = await send(port, "/v1/workers/heartbeat", { headers: { authorization: `Bearer ${queen.token}`, "content-type": "text/plain" }, body: "{}" });
    expect(untyped).toMatchObject({ status: 400 });
    expect(untyped.body).toEqual(contractError(() => parseOrThrow(HeartbeatRequest, undefined)));
  });

  test("a heartbeat of a worker the queen does not know: 404 WORKER_NOT_FOUND (register again)", async () => {
    const answer = await send(portOf(), "/v1/workers/heartbeat", { headers: json(queen.token), body: JSON.stringify({ worker_id: id(99) }) });
    expect(answer).toMatchObject({ status: 404, contentType: JSON_TYPE, body: { error: { code: "WORKER_NOT_FOUND" } } });
  });
});

describe("anything else on the callback listener", () => {
  test("404 ROUTE_NOT_FOUND, whatever the token: another path, another verb on a callback's path", async () => {
    for (const [method, path] of [["GET", "/v1/workers/register"], ["POST", "/v1/workers/spawn"], ["GET", "/health"], ["POST", "/v1/workers/registerx"], ["DELETE", "/v1/workers/heartbeat"]] as const) {
      for (const token of [undefined, queen.token]) {
        const answer = await send(callbackPort, path, { method, headers: json(token), ...(method === "POST" ? { body: "{}" } : {}) });
        expect(answer, `${method} ${path}`).toMatchObject({
          status: 404,
          contentType: JSON_TYPE,
          body: { error: { code: "ROUTE_NOT_FOUND", message: `No route ${method} ${path} on the callback listener` } },
        });
      }
    }
  });

  test("a bad Host is refused before the route is looked up: 403, not 404", async () => {
    const answer = await send(callbackPort, "/nowhere", { method: "GET", headers: { host: "evil.example" } });
    expect(answer).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
  });
});
