// Property-based fuzzing of every HTTP route with random and hostile bodies, plus a registration
// load test, against a real in-process queen: never a 500, never a crash, never an invalid row.
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Beehive, ErrorBody, NODE_NAME_PATTERN } from "../../src/shared/contract/index.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";

let home: string;
let server: QueenServer;
let tried = 0;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-fuzz-"));
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, sshTimeoutMs: 500, userKnownHosts: [], sshAgent: "", log: () => {} });
});
afterAll(async () => {
  console.log(`fuzz: ${tried} HTTP inputs tried`);
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.constantFrom(
    "'; DROP TABLE beehives; --",
    "\" OR 1=1 --",
    "$(touch /tmp/rbee-pwned)",
    "`touch /tmp/rbee-pwned`",
    "; rm -rf / #",
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "\u0000",
    "\ud800",
    "-oProxyCommand=touch /tmp/rbee-pwned",
    "mac\nnext",
    "x".repeat(70_000),
    "😀".repeat(100),
  ),
);

// Values of every JSON type, biased towards the shapes the routes expect.
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("value"), { maxKeys: 4 }),
  ),
})).value;

const nodeFields = ["node_name", "ssh_host", "ssh_port", "ssh_user", "ssh_key_path", "git_repo_url", "git_branch", "install_path", "expected_host_key_fingerprint"];
const workerFields = ["worker_id", "url", "model_ref", "backend", "device", "slots_total", "slots_available", "vram_bytes", "node_name", "state"];
const bodyWith = (fields: readonly string[]) =>
  fc.oneof(
    anyValue,
    fc.record(Object.fromEntries(fields.map((f) => [f, fc.oneof(anyValue, hostileString)])), { requiredKeys: [] }),
  );

const routes: [string, string, fc.Arbitrary<unknown>][] = [
  ["POST", "/v2/registry/beehives/add?verify=false", bodyWith(nodeFields)],
  ["POST", "/v2/registry/beehives/test", bodyWith(nodeFields)],
  ["POST", "/v2/registry/beehives/remove", bodyWith(["node_name"])],
  ["POST", "/v2/registry/beehives/install", bodyWith(["node_name"])],
  ["POST", "/v1/workers/register", bodyWith(workerFields)],
  ["POST", "/v1/workers/update", bodyWith(["worker_id", "state", "slots_available"])],
  ["POST", "/v1/workers/heartbeat", bodyWith(["worker_id", "slots_available"])],
  ["POST", "/v1/workers/spawn", bodyWith(["node_name", "model_ref", "backend", "device", "slots", "ctx"])],
  ["POST", "/v1/inference", bodyWith(["model", "prompt", "messages", "node", "max_tokens", "temperature", "top_p", "seed", "stop"])],
];

/** Sends raw bytes (not always valid UTF-8 or JSON) and returns status and body text. */
function rawPost(path: string, body: Buffer, contentType = "application/json"): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.baseUrl);
    const req = httpRequest(
      url,
      { method: "POST", headers: { authorization: `Bearer ${server.queen.token}`, "content-type": contentType, "content-length": body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function expectWellFormed(status: number, text: string, context: string): void {
  expect(status, context).not.toBe(500);
  expect(status, context).toBeLessThan(600);
  if (status >= 400) expect(ErrorBody.safeParse(JSON.parse(text)).success, `${context}: ${text.slice(0, 200)}`).toBe(true);
}

describe("fuzzing", () => {
  test.each(routes)("%s %s: random and hostile JSON bodies", async (_method, path, body) => {
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        tried += 1;
        const { status, text } = await rawPost(path, Buffer.from(JSON.stringify(value) ?? "null"));
        expectWellFormed(status, text, `${path} ${JSON.stringify(value)?.slice(0, 200)}`);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  test("raw bytes: invalid UTF-8, truncated JSON, wrong content types", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes.map((r) => r[1])),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"),
        async (path, bytes, contentType) => {
          tried += 1;
          const { status, text } = await rawPost(path, Buffer.from(bytes), contentType);
          expectWellFormed(status, text, `${path} ${contentType} ${Buffer.from(bytes).toString("hex").slice(0, 80)}`);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);

  test("path parameters: random worker and job ids", async () => {
    const api = jsonClient(server.baseUrl, server.queen.token);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileString.map((id) => encodeURIComponent(id.slice(0, 2000).replace(/[\ud800-\udfff]/g, "?"))), fc.constantFrom("%FF%FE", "%", "%E0%A4%A", "..%2F..")),
        fc.constantFrom("/v1/workers/", "/v1/inference/"),
        async (id, prefix) => {
        tried += 1;
        const answer = await fetch(`${server.baseUrl}${prefix}${id}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${server.queen.token}` },
        });
        const text = await answer.text();
        expectWellFormed(answer.status, text || "{}", `${prefix}${id.slice(0, 80)}`);
        },
      ),
      { numRuns: 200 },
    );
    expect((await api.get("/health")).status).toBe(200);
  }, 60_000);

  test("every stored row is valid", () => {
    for (const node of server.queen.beehives.list()) {
      expect(Beehive.safeParse(node).success).toBe(true);
      expect(node.node_name).toMatch(NODE_NAME_PATTERN);
    }
  });
});

describe("load", () => {
  test("1,000 concurrent registrations and heartbeats: all acknowledged, none lost", async () => {
    const api = jsonClient(server.baseUrl, server.queen.token);
    const ids = Array.from({ length: 1000 }, (_, i) => `load-${i}`);
    const registered = await Promise.all(
      ids.map((id, i) =>
        api.post("/v1/workers/register", {
          worker_id: id, url: `http://127.0.0.1:${20000 + i}`, model_ref: "m", backend: "cpu", device: 0,
          slots_total: 2, slots_available: 2, node_name: "load",
        }),
      ),
    );
    expect(registered.every((answer) => answer.status === 201)).toBe(true);
    const beats = await Promise.all(ids.map((id) => api.post("/v1/workers/heartbeat", { worker_id: id, slots_available: 1 })));
    expect(beats.every((answer) => answer.status === 200)).toBe(true);
    const listed = (await api.get("/v1/workers/list")).body.workers.filter((w: { node_name: string }) => w.node_name === "load");
    expect(listed).toHaveLength(1000);
    expect(listed.every((w: { slots_available: number }) => w.slots_available === 1)).toBe(true);
    await Promise.all(ids.map((id) => api.delete(`/v1/workers/${id}`)));
  }, 60_000);
});
