// Property-based fuzzing of the HTTP API against a real in-process queen, a real sshd on loopback
// and a real hive. Each body starts valid and gets ONE hostile field, so that it gets past
// validation to SSH probing, the install and hive scripts, spawning and scheduling. The oracle is
// the contract itself: a body it refuses gets 400 naming the field; one it accepts is served, and a
// node it stores is read back raw through a second SQLite handle and must be exactly what was asked.
// Shell payloads in every field that reaches a shell name a per-run marker file that must never appear.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import {
  API,
  SshNodeRequest,
  Beehive,
  ErrorBody,
  InferenceRequest,
  NODE_NAME_PATTERN,
  RegisterWorkerRequest,
  SpawnStreamEvent,
  SpawnWorkerRequest,
  StreamEvent,
  UpdateWorkerRequest,
  HeartbeatRequest,
  SSE_DONE,
} from "../../src/shared/contract/index.js";
import { HTTP_ONLY_ROUTES } from "../../src/core/http/http-only-routes.js";
import { MessagesRequest } from "../../src/core/anthropic/messages-request.js";
import { OllamaChatRequest, OllamaGenerateRequest } from "../../src/core/ollama/ollama-request.js";
import { parseChatCompletionRequest, toChatJob } from "../../src/core/openai/chat-request.js";
import { parseCompletionRequest, toCompletionInference } from "../../src/core/openai/completion-request.js";
import { parseEmbeddingsRequest } from "../../src/core/openai/embeddings.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";
import { parseMetrics, samplesOf, sumOf } from "../helpers/prometheus.js";
import {
  EXTRA_FIELD,
  MISSING,
  junk,
  modelRefGenerator,
  nodeFieldGenerators,
  oneHostileField,
  payloadsThatWouldNotRun,
  shellPayloads,
  withField,
  type FuzzScope,
  type HostileField,
} from "../helpers/hostile-inputs.js";
import { freePort, startSshd, type Sshd } from "../helpers/sshd.js";
import { StoredRows, rowFieldsOf } from "../helpers/stored-rows.js";

const HIVE_NODE = "hive-node";

let dir: string;
let server: QueenServer;
let sshd: Sshd;
let rows: StoredRows;
let scope: FuzzScope;
let closedPort: number;
let tried = 0;
let names = 0;
const nextName = (): string => `fz-${++names}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-fuzz-"));
  const home = join(dir, "queen");
  mkdirSync(home);
  // Nothing listens there: SSH probes of the nodes that point at it fail at once.
  closedPort = await freePort();
  sshd = await startSshd();
  scope = { dir, marker: join(dir, `pwned-${randomUUID()}`), ports: [closedPort, sshd.port] };
  server = await startQueenServer({
    home, host: "127.0.0.1", port: 0, sshTimeoutMs: 5_000, userKnownHosts: [], sshAgent: "",
    nodeHome: join(dir, "node-home"), log: () => {},
  });
  rows = new StoredRows(home);
  // A node where rbee is installed (this checkout's build), so that spawns reach a real hive.
  mkdirSync(join(dir, "installed"));
  symlinkSync(resolve("dist"), join(dir, "installed", "dist"));
  const hiveNode = { ...nodeBody(HIVE_NODE, "sshd"), install_path: join(dir, "installed") };
  const added = await post("/v2/registry/beehives/add", hiveNode);
  expect(added.status, added.text).toBe(201);
  rows.stored(SshNodeRequest.parse(hiveNode), false, "the hive node");
}, 60_000);

afterAll(async () => {
  console.log(`fuzz: ${tried} HTTP inputs tried`);
  rows?.close();
  await server?.close();
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A valid node; "sshd" reaches the test's sshd (and the install script there), "closed" a closed port. */
function nodeBody(name: string, target: "sshd" | "closed") {
  return {
    node_name: name,
    ssh_host: "127.0.0.1",
    ssh_port: target === "sshd" ? sshd.port : closedPort,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    // No such repository: an install gets through every quoted line, then fails at git, quickly.
    git_repo_url: `file://${dir}/no-such-repo`,
    git_branch: "main",
    install_path: join(dir, "inst", name),
  };
}

/** Sends raw bytes (not always valid UTF-8 or JSON) and returns status and body text. */
function rawPost(path: string, body: Buffer, contentType = "application/json"): Promise<{ status: number; text: string }> {
  tried += 1;
  return new Promise((resolveAnswer, reject) => {
    const url = new URL(path, server.baseUrl);
    const req = httpRequest(
      url,
      { method: "POST", headers: { authorization: `Bearer ${server.queen.token}`, "content-type": contentType, "content-length": body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolveAnswer({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const post = (path: string, body: unknown) => rawPost(path, Buffer.from(JSON.stringify(body) ?? "null"));

/** What the queen receives of a body: JSON drops undefined, turns NaN into null, -0 into 0. */
const overTheWire = (body: unknown): unknown => JSON.parse(JSON.stringify(body) ?? "null");

const show = (value: unknown): string => (value === MISSING ? "(left out)" : (JSON.stringify(value) ?? String(value)).slice(0, 160));
const contextOf = (route: string, hostile: HostileField) => `${route} ${hostile.field}=${show(hostile.value)}`;

function expectWellFormed(status: number, text: string, context: string): void {
  expect(status, context).not.toBe(500);
  expect(status, context).toBeLessThan(600);
  if (status >= 400) expect(ErrorBody.safeParse(JSON.parse(text)).success, `${context}: ${text.slice(0, 200)}`).toBe(true);
}

/** The answer's error code and the fields its details name. */
function errorOf(text: string): { code: string; fields: string[] } {
  const { error } = ErrorBody.parse(JSON.parse(text));
  return { code: error.code, fields: (error.details ?? []).map((detail) => detail.field) };
}

/** A refusal that names the hostile field (an unknown field is the body's fault). */
function expectRefusalNaming(status: number, text: string, hostile: HostileField, context: string, why = "the contract refuses it"): void {
  expect(status, `${context}: ${why}, the queen answered ${text.slice(0, 200)}`).toBe(400);
  const { code, fields } = errorOf(text);
  expect(code, context).toBe("INVALID_REQUEST");
  const field = hostile.field === EXTRA_FIELD ? "(body)" : hostile.field;
  expect(fields.some((named) => named === field || named.startsWith(`${field}.`)), `${context}: details name ${fields.join(", ")}`).toBe(true);
}

/** The `data:` payloads of an SSE answer, each checked against the row's event schema; the stream must end with [DONE]. */
function streamEvents<S extends z.ZodType>(text: string, schema: S, context: string): z.output<S>[] {
  const data = text.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice("data: ".length));
  expect(data.at(-1), `${context}: the stream did not end with [DONE]: ${text.slice(-300)}`).toBe(SSE_DONE);
  return data.slice(0, -1).map((payload) => {
    const parsed = schema.safeParse(JSON.parse(payload));
    expect(parsed.success, `${context}: event outside the contract: ${payload.slice(0, 300)}`).toBe(true);
    return parsed.data as z.output<S>;
  });
}

function expectNoPayloadRan(context: string): void {
  expect(existsSync(scope.marker), `${context}: a shell payload ran (${scope.marker} exists)`).toBe(false);
}

/** Every shell payload at every place where a field that reaches a shell may carry one. */
function payloadExamples(fields: Record<string, (payload: string) => string>): [HostileField][] {
  return Object.entries(fields).flatMap(([field, place]) => shellPayloads(scope.marker).map((payload) => [{ field, value: place(payload.value) }] as [HostileField]));
}

describe("one hostile field on a valid body", () => {
  test("add?verify=false: stored exactly as given (read raw through a second handle), or refused naming the field", async () => {
    let fuzzedStored = 0;
    await fc.assert(
      fc.asyncProperty(oneHostileField(nodeFieldGenerators(scope)), async (hostile) => {
        const context = contextOf("add?verify=false", hostile);
        const body = overTheWire(withField(nodeBody(nextName(), "closed"), hostile));
        const before = rows.count();
        const { status, text } = await post("/v2/registry/beehives/add?verify=false", body);
        expectWellFormed(status, text, context);
        const parsed = SshNodeRequest.safeParse(body);
        if (!parsed.success) {
          expectRefusalNaming(status, text, hostile, context);
          expect(rows.count(), `${context}: refused, yet a row was stored`).toBe(before);
          return;
        }
        if (Object.values(rowFieldsOf(parsed.data)).some((value) => typeof value === "string" && /\p{Cs}/u.test(value))) {
          // Valid for the contract, but not text SQLite can give back as it was given.
          expectRefusalNaming(status, text, hostile, context, "SQLite cannot store it as given (a lone surrogate)");
          expect(rows.count(), `${context}: refused, yet a row was stored`).toBe(before);
          return;
        }
        if (rows.expected.has(parsed.data.node_name)) {
          expect(errorOf(text).code, context).toBe("NODE_EXISTS");
          return;
        }
        expect(status, `${context}: ${text.slice(0, 300)}`).toBe(201);
        rows.stored(parsed.data, true, context);
        const answer = API.addNode.answer.parse(JSON.parse(text));
        expect(answer.node, `${context}: the answer is not the stored row`).toEqual(Beehive.parse({ ...rows.row(parsed.data.node_name), transport: "ssh" }));
        fuzzedStored += 1;
      }),
      {
        numRuns: 150,
        examples: [
          ...payloadExamples({ install_path: (p) => join(dir, "inst", p), git_repo_url: (p) => `file://${dir}/repo/${p}`, node_name: (p) => p }),
          // Text SQLite cannot hold as given (it stores UTF-8): a lone surrogate.
          [{ field: "install_path", value: join(dir, "inst", "a\ud800") }],
          [{ field: "ssh_key_path", value: join(dir, "keys", "\udfff") }],
          [{ field: "git_repo_url", value: `file://${dir}/repo/\ud800` }],
        ],
      },
    );
    expect(fuzzedStored, "no fuzzed node was stored: the property checked nothing").toBeGreaterThan(0);
  }, 60_000);

  test("test and verified add: SSH to a closed loopback port fails fast, nothing stored", async () => {
    let probed = 0;
    await fc.assert(
      fc.asyncProperty(oneHostileField(nodeFieldGenerators(scope)), fc.constantFrom("test", "add"), async (hostile, route) => {
        const context = contextOf(route, hostile);
        const body = overTheWire(withField(nodeBody(nextName(), "closed"), hostile));
        const before = rows.count();
        const { status, text } = await post(`/v2/registry/beehives/${route}`, body);
        expectWellFormed(status, text, context);
        const parsed = SshNodeRequest.safeParse(body);
        if (!parsed.success) expectRefusalNaming(status, text, hostile, context);
        else if (status === 200 || status === 201) {
          // Only a hostile port that happens to be the test's sshd gets through.
          expect(parsed.data.ssh_port, `${context}: ${text}`).toBe(sshd.port);
          expect(API[route === "test" ? "testNode" : "addNode"].answer.safeParse(JSON.parse(text)).success, context).toBe(true);
          if (route === "add") rows.stored(parsed.data, true, context);
        } else if (errorOf(text).code === "SSH_FAILED") probed += 1;
        if (route === "test" || status !== 201) expect(rows.count(), `${context}: a row was stored`).toBe(before);
      }),
      { numRuns: 100 },
    );
    expect(probed, "no request got as far as an SSH probe").toBeGreaterThan(0);
  }, 60_000);

  test("install on the test sshd: the install script runs with the hostile value and fails; no payload runs", async () => {
    let ranScript = 0;
    await fc.assert(
      fc.asyncProperty(oneHostileField(nodeFieldGenerators(scope)), async (hostile) => {
        const context = contextOf("install", hostile);
        const body = overTheWire(withField(nodeBody(nextName(), "sshd"), hostile));
        const added = await post("/v2/registry/beehives/add?verify=false", body);
        expectWellFormed(added.status, added.text, context);
        // A refusal is the add property's business; an accepted node is installed.
        if (added.status !== 201) return;
        const input = SshNodeRequest.parse(body);
        rows.stored(input, true, context);
        const install = await post("/v2/registry/beehives/install", { node_name: input.node_name });
        expect(install.status, context).toBe(200);
        const events = streamEvents(install.text, API.installNode.events, context);
        const last = events.at(-1);
        // No repository there: no install can succeed.
        expect(last?.type, `${context}: ${JSON.stringify(last)}`).toBe("error");
        if (last?.type === "error" && last.code === "INSTALL_FAILED") ranScript += 1;
        expectNoPayloadRan(context);
        const removed = await post("/v2/registry/beehives/remove", { node_name: input.node_name });
        expect(removed.status, `${context}: ${removed.text}`).toBe(200);
        rows.removed(input.node_name, context);
      }),
      {
        numRuns: 20,
        examples: payloadExamples({ install_path: (p) => join(dir, "inst", p), git_repo_url: (p) => `file://${dir}/repo/${p}` }),
      },
    );
    expect(ranScript, "no install script ran").toBeGreaterThan(0);
  }, 120_000);

  test("spawn on a node with a real hive: the hive refuses the hostile value in words; no payload runs", async () => {
    const base = { node_name: HIVE_NODE, model_ref: `file:${dir}/models/missing.gguf`, backend: "cpu", device: 0, slots: 1, ctx: 256 };
    const generators = {
      node_name: nodeFieldGenerators(scope).node_name!,
      model_ref: modelRefGenerator(scope),
      backend: fc.oneof(junk, fc.constantFrom("cpu", "cuda", "metal", "vulkan", "CPU", "cpu ")),
      device: fc.oneof(junk, fc.integer({ min: -2, max: 4 })),
      slots: fc.oneof(junk, fc.integer({ min: -1, max: 70 })),
      ctx: fc.oneof(junk, fc.integer({ min: 0, max: 2_000_000 })),
    };
    let reachedHive = 0;
    await fc.assert(
      fc.asyncProperty(oneHostileField(generators), async (hostile) => {
        const context = contextOf("spawn", hostile);
        const body = overTheWire(withField(base, hostile));
        const { status, text } = await post("/v1/workers/spawn", body);
        expectWellFormed(status, text, context);
        const parsed = SpawnWorkerRequest.safeParse(body);
        if (!parsed.success) return expectRefusalNaming(status, text, hostile, context);
        if (!rows.expected.has(parsed.data.node_name)) {
          expect(errorOf(text).code, context).toBe("NODE_NOT_FOUND");
          return;
        }
        expect(status, context).toBe(200);
        const events = streamEvents(text, SpawnStreamEvent, context);
        const last = events.at(-1);
        // No model file on the hive node, no rbee on the others: no spawn can succeed.
        expect(last?.type, `${context}: ${JSON.stringify(last)}`).toBe("error");
        const refusedByHive = last?.type === "error" && ["MODEL_NOT_FOUND", "BACKEND_UNAVAILABLE", "INVALID_REQUEST"].includes(last.code);
        if (parsed.data.node_name === HIVE_NODE && refusedByHive) reachedHive += 1;
        expectNoPayloadRan(context);
      }),
      { numRuns: 60, examples: payloadExamples({ model_ref: (p) => `file:${dir}/models/${p}.gguf` }) },
    );
    expect(reachedHive, "no spawn reached the hive").toBeGreaterThan(0);
    expect(server.queen.workers.list().filter((w) => w.node_name === HIVE_NODE)).toEqual([]);
  }, 120_000);

  test("inference: scheduled onto the hive node, the spawn it needs refused in words; no payload runs", async () => {
    const base = { model: `file:${dir}/models/missing.gguf`, prompt: "hello", node: HIVE_NODE, max_tokens: 4 };
    const generators = {
      model: modelRefGenerator(scope),
      node: nodeFieldGenerators(scope).node_name!,
      prompt: fc.oneof(junk, fc.string({ maxLength: 200 })),
      messages: fc.oneof(junk, fc.array(fc.record({ role: fc.constantFrom("user", "system", "tool"), content: fc.string() }), { maxLength: 3 })),
      max_tokens: fc.oneof(junk, fc.integer({ min: -1, max: 40_000 })),
      temperature: fc.oneof(junk, fc.double({ min: -1, max: 6 })),
      top_p: fc.oneof(junk, fc.double({ min: -0.5, max: 1.5 })),
      seed: fc.oneof(junk, fc.integer()),
      stop: fc.oneof(junk, fc.array(fc.string({ maxLength: 5 }), { maxLength: 20 })),
      grammar: fc.oneof(junk, fc.record({ type: fc.constantFrom("json", "json_schema", "xml"), schema: fc.oneof(junk, fc.jsonValue({ maxDepth: 4 })) })),
    };
    let scheduled = 0;
    await fc.assert(
      fc.asyncProperty(oneHostileField(generators), async (hostile) => {
        const context = contextOf("inference", hostile);
        const body = overTheWire(withField(base, hostile));
        const { status, text } = await post("/v1/inference", body);
        expectWellFormed(status, text, context);
        const parsed = InferenceRequest.safeParse(body);
        if (!parsed.success) {
          expect(status, context).toBe(400);
          expect(errorOf(text).code, context).toBe("INVALID_REQUEST");
          return;
        }
        if (parsed.data.node !== undefined && !rows.expected.has(parsed.data.node)) {
          expect(errorOf(text).code, context).toBe("NODE_NOT_FOUND");
          return;
        }
        expect(status, context).toBe(200);
        const events = streamEvents(text, StreamEvent, context);
        expect(events.at(-1)?.type, `${context}: ${JSON.stringify(events.at(-1))}`).toBe("error");
        // Only a hive says a file: model is missing (the queen does not look): the request reached a node.
        // (Its hive already runs after the first, so no "hive" stage tells it.)
        if (events.some((e) => e.type === "error" && e.code === "MODEL_NOT_FOUND")) scheduled += 1;
        expectNoPayloadRan(context);
      }),
      { numRuns: 60, examples: payloadExamples({ model: (p) => `file:${dir}/models/${p}.gguf` }) },
    );
    expect(scheduled, "no inference was scheduled onto a node").toBeGreaterThan(0);
  }, 120_000);

  test("models routes: download, cancel, remove and copy refuse the hostile value in words; nothing outside a models folder is touched", async () => {
    const canary = join(dir, "models", "canary.gguf");
    mkdirSync(join(dir, "models"), { recursive: true });
    writeFileSync(canary, "canary");
    const base = { node_name: HIVE_NODE, model_ref: `file:${canary}` };
    const routes = [
      { path: "/v2/models/download", row: API.downloadModel, base, stream: true },
      { path: "/v2/models/cancel", row: API.cancelDownload, base, stream: false },
      { path: "/v2/models/remove", row: API.removeModel, base, stream: false },
      { path: "/v2/models/copy", row: API.copyModel, base: { model_ref: `file:${canary}`, from_node: HIVE_NODE, to_node: "fz-models-target" }, stream: true },
    ] as const;
    const target = await post("/v2/registry/beehives/add?verify=false", nodeBody("fz-models-target", "closed"));
    expect(target.status, target.text).toBe(201);
    rows.stored(SshNodeRequest.parse(nodeBody("fz-models-target", "closed")), true, "the copy target");
    const generators = {
      node_name: nodeFieldGenerators(scope).node_name!,
      model_ref: modelRefGenerator(scope),
      from_node: nodeFieldGenerators(scope).node_name!,
      to_node: nodeFieldGenerators(scope).node_name!,
    };
    let refusedByNode = 0;
    for (const route of routes) {
      const fields = Object.keys(route.base) as (keyof typeof generators)[];
      await fc.assert(
        fc.asyncProperty(oneHostileField(Object.fromEntries(fields.map((field) => [field, generators[field]]))), async (hostile) => {
          const context = contextOf(route.path, hostile);
          const body = overTheWire(withField(route.base, hostile));
          const { status, text } = await post(route.path, body);
          expectWellFormed(status, text, context);
          const parsed = route.row.body.safeParse(body);
          if (!parsed.success) return expectRefusalNaming(status, text, hostile, context);
          const names = Object.entries(parsed.data).filter(([key]) => key.endsWith("node") || key === "node_name").map(([, value]) => value as string);
          if (names.some((name) => !rows.expected.has(name))) {
            expect(errorOf(text).code, `${context}: ${text.slice(0, 200)}`).toBe("NODE_NOT_FOUND");
            return;
          }
          if (status === 200 && route.stream) {
            const last = streamEvents(text, route.row.events, context).at(-1);
            // No model file is in any node's models folder here: nothing can be downloaded or copied.
            expect(last?.type, `${context}: ${JSON.stringify(last)}`).toBe("error");
          } else {
            expect(status, `${context}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
            if (errorOf(text).code === "INVALID_REQUEST") refusedByNode += 1;
          }
          expectNoPayloadRan(context);
          expect(existsSync(canary), `${context}: the file outside the models folder was removed`).toBe(true);
        }),
        { numRuns: 25, examples: payloadExamples({ model_ref: (p) => `file:${dir}/models/${p}.gguf` }) },
      );
    }
    expect(refusedByNode, "no model_ref was refused by a node's hive or the queen's check").toBeGreaterThan(0);
  }, 180_000);

  test("worker callbacks: registered, updated and beaten exactly as the contract allows", async () => {
    const registration = (id: string) => ({
      worker_id: id, url: "http://127.0.0.1:1", model_ref: "m", backend: "cpu", device: 0, slots_total: 2, slots_available: 2, node_name: "fz-load",
    });
    expect((await post("/v1/workers/register", registration("fz-known"))).status).toBe(201);
    const routes: [string, z.ZodType, () => Record<string, unknown>, Record<string, fc.Arbitrary<unknown>>, z.ZodType][] = [
      [
        "/v1/workers/register", RegisterWorkerRequest, () => registration(`fz-w-${++names}`),
        {
          worker_id: fc.oneof(junk, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,10}$/)),
          url: fc.oneof(junk, fc.constantFrom("http://127.0.0.1:2", "ftp://x", "http://", "javascript:alert(1)")),
          model_ref: modelRefGenerator(scope),
          backend: fc.oneof(junk, fc.constantFrom("cpu", "gpu")),
          device: fc.oneof(junk, fc.integer({ min: -1, max: 3 })),
          slots_total: fc.oneof(junk, fc.integer({ min: -1, max: 1_000_001 })),
          slots_available: fc.oneof(junk, fc.integer({ min: -1, max: 3 })),
          vram_bytes: fc.oneof(junk, fc.integer({ min: -1 })),
          node_name: nodeFieldGenerators(scope).node_name!,
          state: fc.oneof(junk, fc.constantFrom("idle", "busy", "loading", "dead")),
        },
        HTTP_ONLY_ROUTES.registerWorker.answer,
      ],
      [
        "/v1/workers/update", UpdateWorkerRequest, () => ({ worker_id: "fz-known", state: "idle", slots_available: 1 }),
        { worker_id: fc.oneof(junk, fc.constant("fz-known")), state: fc.oneof(junk, fc.constantFrom("idle", "busy", "x")), slots_available: fc.oneof(junk, fc.integer({ min: -1, max: 5 })) },
        HTTP_ONLY_ROUTES.updateWorker.answer,
      ],
      [
        "/v1/workers/heartbeat", HeartbeatRequest, () => ({ worker_id: "fz-known", slots_available: 1 }),
        { worker_id: fc.oneof(junk, fc.constant("fz-known")), slots_available: fc.oneof(junk, fc.integer({ min: -1, max: 5 })) },
        HTTP_ONLY_ROUTES.heartbeat.answer,
      ],
    ];
    let served = 0;
    for (const [path, schema, base, generators, answer] of routes) {
      await fc.assert(
        fc.asyncProperty(oneHostileField(generators), async (hostile) => {
          const context = contextOf(path, hostile);
          const body = overTheWire(withField(base(), hostile));
          const { status, text } = await post(path, body);
          expectWellFormed(status, text, context);
          const parsed = schema.safeParse(body);
          if (!parsed.success) {
            expect(status, `${context}: ${text.slice(0, 200)}`).toBe(400);
            return;
          }
          if (status >= 400) {
            // A registration for a known id at another url, or without a node (the queen token names
            // none), or a report for an unknown worker.
            const withoutNode = path === "/v1/workers/register" && (parsed.data as { node_name?: string }).node_name === undefined;
            const refusals = withoutNode ? ["INVALID_REQUEST"] : ["WORKER_CONFLICT", "WORKER_NOT_FOUND"];
            expect(refusals, `${context}: ${text.slice(0, 200)}`).toContain(errorOf(text).code);
            return;
          }
          expect(answer.safeParse(JSON.parse(text)).success, `${context}: answer outside the contract: ${text.slice(0, 200)}`).toBe(true);
          served += 1;
        }),
        { numRuns: 60 },
      );
    }
    expect(served).toBeGreaterThan(0);
    // The fuzzed model refs and node names are label values of /metrics now: escaped, they parse back as given.
    const live = server.queen.workers.list();
    const metrics = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${server.queen.token}` } });
    expect(metrics.status).toBe(200);
    const families = parseMetrics(await metrics.text());
    expect(sumOf(families, "rbee_workers")).toBe(live.length);
    const labelled = new Set(samplesOf(families, "rbee_workers").map((sample) => JSON.stringify([sample.labels?.node, sample.labels?.model])));
    for (const worker of live) expect(labelled, `${worker.node_name} ${worker.model_ref}`).toContain(JSON.stringify([worker.node_name, worker.model_ref]));
    for (const worker of live) await jsonClient(server.baseUrl, server.queen.token).delete(`/v1/workers/${worker.id}`);
  }, 60_000);

  test("remove: a stored node, or a refusal naming node_name", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(nodeFieldGenerators(scope).node_name!, fc.constantFrom(...[...rows.expected.keys()].filter((name) => name !== HIVE_NODE))), async (value) => {
        const context = `remove node_name=${show(value)}`;
        const body = overTheWire({ node_name: value });
        const { status, text } = await post("/v2/registry/beehives/remove", body);
        expectWellFormed(status, text, context);
        const parsed = API.removeNode.body.safeParse(body);
        if (!parsed.success) return expectRefusalNaming(status, text, { field: "node_name", value }, context);
        const name = parsed.data.node_name;
        if (name === HIVE_NODE) return;
        if (!rows.expected.has(name)) {
          expect(errorOf(text).code, context).toBe("NODE_NOT_FOUND");
          return;
        }
        expect(status, `${context}: ${text}`).toBe(200);
        expect(API.removeNode.answer.safeParse(JSON.parse(text)).success, context).toBe(true);
        rows.removed(name, context);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});

/** OpenAI's error body, which every error of the OpenAI-compatible routes has. */
function expectOpenAiError(status: number, text: string, context: string): void {
  expect(status, context).not.toBe(500);
  expect(status, context).toBeLessThan(600);
  if (status < 400) return;
  const body = JSON.parse(text) as { error?: { message?: unknown; type?: unknown } };
  expect(typeof body.error?.message === "string" && typeof body.error?.type === "string", `${context}: ${text.slice(0, 200)}`).toBe(true);
}

/** True when the route's own translation refuses the body (the oracle for a 400). */
function refusedBy(translate: () => unknown): boolean {
  try {
    translate();
    return false;
  } catch {
    return true;
  }
}

describe("OpenAI-compatible routes: one hostile field", () => {
  const model = () => `file:${dir}/models/missing.gguf`;
  const schemaJunk = fc.oneof(
    junk,
    fc.jsonValue({ maxDepth: 4 }),
    fc.constantFrom(
      { type: "string", pattern: "(a+)+$" },
      { type: "object", properties: { a: { $ref: "#/$defs/loop" } }, $defs: { loop: { $ref: "#/$defs/loop" } } },
      { type: ["object", "array"] },
      { oneOf: [] },
      { properties: { __proto__: { type: "string" } } },
      { type: "object", required: ["nope"] },
    ),
  );
  const sampling = {
    max_tokens: fc.oneof(junk, fc.integer({ min: -1, max: 40_000 })),
    temperature: fc.oneof(junk, fc.double({ min: -1, max: 6 })),
    top_p: fc.oneof(junk, fc.double({ min: -0.5, max: 1.5 })),
    seed: fc.oneof(junk, fc.integer(), fc.double()),
    stop: fc.oneof(junk, fc.array(fc.string({ maxLength: 5 }), { maxLength: 20 })),
    stream: fc.oneof(junk, fc.boolean()),
    stream_options: fc.oneof(junk, fc.record({ include_usage: fc.oneof(junk, fc.boolean()) })),
    user: junk,
  };
  const responseFormat = fc.oneof(
    junk,
    fc.constantFrom({ type: "json_object" }, { type: "text" }, { type: "yaml" }),
    fc.record({ type: fc.constant("json_schema"), json_schema: fc.oneof(junk, fc.record({ name: fc.oneof(junk, fc.constant("x")), schema: schemaJunk })) }),
  );
  const tool = fc.record({ type: fc.oneof(fc.constant("function"), junk), function: fc.oneof(junk, fc.record({ name: fc.oneof(junk, fc.constantFrom("f", "g")), parameters: schemaJunk })) });
  // Built in the test: the generators need the scope that beforeAll makes.
  const routesOf = (): [string, () => Record<string, unknown>, Record<string, fc.Arbitrary<unknown>>, (body: unknown) => unknown][] => [
    [
      "/v1/chat/completions",
      () => ({ model: model(), messages: [{ role: "user", content: "hi" }], max_tokens: 4 }),
      {
        ...sampling,
        model: modelRefGenerator(scope),
        messages: fc.oneof(junk, fc.array(fc.record({ role: fc.constantFrom("user", "system", "tool", "assistant", "function", "x"), content: fc.oneof(junk, fc.string()), tool_calls: junk }), { maxLength: 3 })),
        response_format: responseFormat,
        tools: fc.oneof(junk, fc.array(tool, { maxLength: 3 })),
        tool_choice: fc.oneof(junk, fc.constantFrom("auto", "none", "required", { type: "function", function: { name: "f" } })),
        n: fc.oneof(junk, fc.integer({ min: -1, max: 3 })),
      },
      (body) => toChatJob(parseChatCompletionRequest(body)),
    ],
    [
      "/v1/completions",
      () => ({ model: model(), prompt: "hi", max_tokens: 4 }),
      {
        ...sampling,
        model: modelRefGenerator(scope),
        prompt: fc.oneof(junk, fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 })),
        echo: fc.oneof(junk, fc.boolean()),
        suffix: junk,
        logprobs: fc.oneof(junk, fc.integer({ min: 0, max: 5 })),
        best_of: fc.oneof(junk, fc.integer({ min: 0, max: 3 })),
        response_format: responseFormat,
      },
      (body) => toCompletionInference(parseCompletionRequest(body)),
    ],
    [
      "/v1/embeddings",
      () => ({ model: model(), input: ["a", "b"] }),
      {
        model: modelRefGenerator(scope),
        input: fc.oneof(junk, fc.array(fc.oneof(fc.string(), fc.integer(), junk), { maxLength: 300 })),
        encoding_format: fc.oneof(junk, fc.constantFrom("float", "base64", "int8")),
        dimensions: fc.oneof(junk, fc.integer({ min: -1, max: 100_000 })),
      },
      (body) => parseEmbeddingsRequest(body),
    ],
  ];

  test("refused bodies get 400 in OpenAI's shape; accepted ones are scheduled and never answer 500", async () => {
    let refused = 0;
    let accepted = 0;
    let scheduled = 0;
    for (const [path, base, generators, translate] of routesOf()) {
      await fc.assert(
        fc.asyncProperty(oneHostileField(generators), async (hostile) => {
          const context = contextOf(path, hostile);
          const body = overTheWire(withField(base(), hostile));
          const { status, text } = await post(path, body);
          expectOpenAiError(status, text, context);
          if (refusedBy(() => translate(body))) {
            // A model the queen cannot resolve is 404, before or after the body's other checks.
            expect([400, 404], `${context}: ${text.slice(0, 200)}`).toContain(status);
            refused += 1;
          } else {
            accepted += 1;
            // Only the hive says a file: model is missing: the request was scheduled onto a node.
            if (/Model file .* not found on node/.test(text)) scheduled += 1;
          }
          expectNoPayloadRan(context);
        }),
        { numRuns: 50 },
      );
    }
    expect(refused, "no hostile body was refused").toBeGreaterThan(0);
    expect(accepted, "no body got past validation").toBeGreaterThan(0);
    expect(scheduled, "no accepted body was scheduled onto a node").toBeGreaterThan(0);
  }, 180_000);

  test("raw bytes and bodies of the wrong type: OpenAI's error shape, never 500", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/v1/chat/completions", "/v1/completions", "/v1/embeddings"),
        fc.oneof(fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)), fc.oneof(junk, fc.array(junk, { maxLength: 3 })).map((value) => Buffer.from(JSON.stringify(value) ?? "null"))),
        async (path, bytes) => {
          const { status, text } = await rawPost(path, bytes);
          expectOpenAiError(status, text, `${path} ${bytes.toString("hex").slice(0, 80)}`);
          expect(status, path).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe("whole bodies and bytes", () => {
  const paths = [
    "/v2/registry/beehives/add?verify=false", "/v2/registry/beehives/test", "/v2/registry/beehives/remove", "/v2/registry/beehives/install",
    "/v1/workers/register", "/v1/workers/update", "/v1/workers/heartbeat", "/v1/workers/spawn", "/v1/inference",
    "/v2/models/download", "/v2/models/cancel", "/v2/models/remove", "/v2/models/copy",
  ];

  test("a body of the wrong type altogether: a coded refusal, nothing stored", async () => {
    const before = rows.count();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.oneof(junk, fc.array(junk, { maxLength: 3 })), async (path, value) => {
        const { status, text } = await post(path, value);
        expectWellFormed(status, text, `${path} ${show(value)}`);
        expect(status, `${path} ${show(value)}`).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 200 },
    );
    expect(rows.count()).toBe(before);
  }, 60_000);

  test("raw bytes: invalid UTF-8, truncated JSON, wrong content types", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"),
        async (path, bytes, contentType) => {
          const { status, text } = await rawPost(path, Buffer.from(bytes), contentType);
          expectWellFormed(status, text, `${path} ${contentType} ${Buffer.from(bytes).toString("hex").slice(0, 80)}`);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);

  test("/metrics: any query string is ignored and the exposition parses; a body or another verb is a coded refusal", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), fc.constantFrom("GET", "POST", "DELETE"), async (query, method) => {
        const answer = await fetch(`${server.baseUrl}/metrics?${encodeURIComponent(query)}=${encodeURIComponent(query)}`, {
          method,
          headers: { authorization: `Bearer ${server.queen.token}`, ...(method === "GET" ? {} : { "content-type": "application/json" }) },
          ...(method === "GET" ? {} : { body: JSON.stringify({ query }) }),
        });
        const text = await answer.text();
        if (method !== "GET") {
          expectWellFormed(answer.status, text, `${method} /metrics`);
          expect(errorOf(text).code).toBe("ROUTE_NOT_FOUND");
          return;
        }
        expect(answer.status, query).toBe(200);
        expect(samplesOf(parseMetrics(text), "rbee_nodes").length).toBeGreaterThan(0);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  test("path parameters: random worker and job ids", async () => {
    const api = jsonClient(server.baseUrl, server.queen.token);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.oneof(fc.string(), fc.string({ unit: "grapheme", maxLength: 50 })).map((id) => encodeURIComponent(id.replace(/[\ud800-\udfff]/g, "?"))),
          fc.constantFrom("%FF%FE", "%", "%E0%A4%A", "..%2F..", encodeURIComponent("x".repeat(3000))),
        ),
        fc.constantFrom("/v1/workers/", "/v1/inference/", "/v1/streams/"),
        async (id, prefix) => {
          tried += 1;
          const answer = await fetch(`${server.baseUrl}${prefix}${id}`, { method: "DELETE", headers: { authorization: `Bearer ${server.queen.token}` } });
          const text = await answer.text();
          expectWellFormed(answer.status, text || "{}", `${prefix}${id.slice(0, 80)}`);
        },
      ),
      { numRuns: 200 },
    );
    expect((await api.get("/health")).status).toBe(200);
  }, 60_000);
});

describe("the Anthropic- and Ollama-compatible routes", () => {
  const MISSING_MODEL = () => `file:${dir}/models/missing.gguf`;
  const text = fc.oneof(junk, fc.string({ maxLength: 60 }));
  const number = (min: number, max: number) => fc.oneof(junk, fc.double({ min, max }), fc.integer({ min: Math.floor(min), max: Math.ceil(max) }));
  const blocks = fc.array(fc.record({ type: fc.constantFrom("text", "image", "tool_use", "x"), text: text }), { maxLength: 3 });
  const anthropicMessages = fc.oneof(
    junk,
    fc.array(fc.record({ role: fc.constantFrom("user", "assistant", "system", "tool"), content: fc.oneof(text, blocks) }), { maxLength: 3 }),
  );
  const ollamaMessages = fc.oneof(
    junk,
    fc.array(fc.record({ role: fc.constantFrom("user", "assistant", "system", "tool"), content: text, images: fc.oneof(junk, fc.array(fc.string(), { maxLength: 1 })) }), { maxLength: 3 }),
  );
  const ollamaOptions = fc.oneof(
    junk,
    fc.record(
      { temperature: number(-1, 9), top_p: number(-0.5, 1.5), seed: fc.oneof(junk, fc.integer()), num_predict: number(-3, 40_000), stop: fc.oneof(junk, fc.array(fc.string({ maxLength: 5 }), { maxLength: 20 })) },
      { requiredKeys: [] },
    ),
  );
  const model = () => fc.oneof(modelRefGenerator(scope), fc.constantFrom("claude-3-opus", "llama3.2:latest", "tinyllama:latest"));

  /** Each route: its path, a valid body, hostile values per field, the schema that must refuse what it refuses, and its error shape. */
  const routes = (): [string, () => Record<string, unknown>, Record<string, fc.Arbitrary<unknown>>, z.ZodType, z.ZodType][] => [
    [
      "/v1/messages",
      () => ({ model: MISSING_MODEL(), max_tokens: 4, messages: [{ role: "user", content: "hello" }], stream: false }),
      {
        model: model(), max_tokens: number(-1, 40_000), messages: anthropicMessages, system: fc.oneof(text, blocks), stop_sequences: fc.oneof(junk, fc.array(fc.string({ maxLength: 300 }), { maxLength: 20 })),
        temperature: number(-1, 2), top_p: number(-0.5, 1.5), top_k: number(-1, 100), metadata: fc.oneof(junk, fc.record({ user_id: text })), tools: fc.oneof(junk, fc.array(junk, { maxLength: 2 })),
        stream: fc.oneof(junk, fc.boolean()),
      },
      MessagesRequest,
      z.object({ type: z.literal("error"), error: z.object({ type: z.string(), message: z.string() }) }),
    ],
    [
      "/api/chat",
      () => ({ model: MISSING_MODEL(), messages: [{ role: "user", content: "hello" }], stream: false, options: { num_predict: 4 } }),
      { model: model(), messages: ollamaMessages, options: ollamaOptions, format: fc.oneof(junk, fc.constantFrom("json", "")), stream: fc.oneof(junk, fc.boolean()), keep_alive: text, tools: fc.oneof(junk, fc.array(junk, { maxLength: 2 })) },
      OllamaChatRequest,
      z.object({ error: z.string() }),
    ],
    [
      "/api/generate",
      () => ({ model: MISSING_MODEL(), prompt: "hello", stream: false, options: { num_predict: 4 } }),
      {
        model: model(), prompt: text, system: text, raw: fc.oneof(junk, fc.boolean()), suffix: text, template: text, context: fc.oneof(junk, fc.array(fc.integer(), { maxLength: 3 })),
        images: fc.oneof(junk, fc.array(fc.string(), { maxLength: 1 })), options: ollamaOptions, stream: fc.oneof(junk, fc.boolean()),
      },
      OllamaGenerateRequest,
      z.object({ error: z.string() }),
    ],
  ];

  /** No 500, and every error in the route's own shape. */
  function expectOwnShape(status: number, body: string, shape: z.ZodType, context: string): void {
    expect(status, `${context}: ${body.slice(0, 200)}`).not.toBe(500);
    expect(status, context).toBeLessThan(600);
    if (status >= 400) expect(shape.safeParse(JSON.parse(body)).success, `${context}: ${body.slice(0, 200)}`).toBe(true);
  }

  test("one hostile field: refused in the API's own shape, or scheduled onto a node and failed there in words; never a 500", async () => {
    let scheduled = 0;
    for (const [path, base, generators, schema, shape] of routes()) {
      await fc.assert(
        fc.asyncProperty(oneHostileField(generators), async (hostile) => {
          const context = contextOf(path, hostile);
          const body = overTheWire(withField(base(), hostile));
          const { status, text: answer } = await post(path, body);
          expectOwnShape(status, answer, shape, context);
          if (!schema.safeParse(body).success) {
            expect(status, `${context}: the route's schema refuses it, the queen answered ${answer.slice(0, 200)}`).toBe(400);
            return;
          }
          if (status === 200) {
            // A streamed answer (the hostile `stream: true`): it still ends in the API's own way.
            const ended = path === "/v1/messages" ? /event: (message_stop|error)\n/.test(answer) : /"(done":true|error")/.test(answer.trim().split("\n").at(-1) ?? "");
            expect(ended, `${context}: ${answer.slice(-300)}`).toBe(true);
          }
          // Only a hive says a file: model is missing on its node, and only a spawn there finds rbee
          // or its hive missing (the queen does not look): the request was scheduled onto a node.
          if (/not found on node |rbee is not installed on |The hive on /.test(answer)) scheduled += 1;
          expectNoPayloadRan(context);
        }),
        { numRuns: 40, examples: payloadExamples({ model: (p) => `file:${dir}/models/${p}.gguf` }) },
      );
    }
    expect(scheduled, "no request reached a node's hive").toBeGreaterThan(0);
  }, 240_000);

  test("whole bodies of the wrong type and raw bytes: refused in the API's own shape", async () => {
    const all = routes();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...all.keys()),
        fc.oneof(
          fc.oneof(junk, fc.array(junk, { maxLength: 3 })).map((value) => ({ bytes: Buffer.from(JSON.stringify(value) ?? "null"), type: "application/json" })),
          fc.record({ bytes: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)), type: fc.constantFrom("application/json", "text/plain", "application/json; charset=latin1") }),
        ),
        async (index, { bytes, type }) => {
          const [path, , , , shape] = all[index]!;
          const { status, text: answer } = await rawPost(path, bytes, type);
          const context = `${path} ${type} ${bytes.toString("hex").slice(0, 80)}`;
          expectOwnShape(status, answer, shape, context);
          expect(status, context).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 200 },
    );
    for (const path of ["/api/tags", "/api/version"]) {
      const answer = await fetch(`${server.baseUrl}${path}?${encodeURIComponent("x".repeat(3000))}=%FF`, { headers: { authorization: `Bearer ${server.queen.token}` } });
      expect(answer.status, path).toBe(200);
    }
  }, 60_000);
});

describe("the logs query", () => {
  const hostileValues = fc.oneof(
    fc.constantFrom("../../etc/passwd", "..", ".", "/etc/passwd", "-1", "99999999999", "10001", "1e3", "0x10", " 5", "NaN", "Infinity", "", "%00", "a".repeat(300), "TRUE", "yes"),
    fc.string({ maxLength: 40 }).map((text) => text.replace(/[\ud800-\udfff]/g, "?")),
    fc.nat({ max: 20_000 }).map(String),
  );
  const value = (valid: fc.Arbitrary<string>) => fc.oneof(fc.constant(undefined), valid, hostileValues, fc.array(valid, { minLength: 2, maxLength: 2 }));

  test("GET /v2/logs with hostile node, worker, lines and follow: 400 naming the field, or served; never a 5xx, never a file outside the logs", async () => {
    let served = 0;
    await fc.assert(
      fc.asyncProperty(
        value(fc.constantFrom(HIVE_NODE, "no-such-node")),
        value(fc.constantFrom("w-nobody", "w-1")),
        value(fc.constantFrom("0", "1", "200", "10000")),
        value(fc.constantFrom("true", "false")),
        async (node, worker, lines, follow) => {
          tried += 1;
          const search = new URLSearchParams();
          for (const [key, given] of Object.entries({ node, worker, lines, follow })) {
            for (const one of given === undefined ? [] : Array.isArray(given) ? given : [given]) search.append(key, one);
          }
          const context = `/v2/logs?${search.toString().slice(0, 200)}`;
          const abort = new AbortController();
          const answer = await fetch(`${server.baseUrl}/v2/logs?${search}`, { headers: { authorization: `Bearer ${server.queen.token}` }, signal: abort.signal });
          expect(answer.status, context).toBeLessThan(500);
          if (answer.headers.get("content-type")?.startsWith("text/event-stream")) {
            abort.abort();
            served += 1;
            return;
          }
          const text = await answer.text();
          expectWellFormed(answer.status, text, context);
          expect(text, `${context}: a file outside the logs folder was read`).not.toMatch(/root:.*:0:0:/);
          // Independent of the schema: a count that is not a whole number up to 10,000, or a worker id that names a path, is refused.
          const badCount = typeof lines === "string" && (!/^\d+$/.test(lines) || Number(lines) > 10_000);
          const pathLike = typeof worker === "string" && (worker.includes("/") || worker.startsWith("."));
          if (badCount || pathLike) expect(answer.status, `${context}: ${text.slice(0, 200)}`).toBe(400);
          const query = Object.fromEntries([...search.keys()].map((key) => [key, search.getAll(key).length > 1 ? search.getAll(key) : search.get(key)]));
          const parsed = API.logs.query.safeParse(query);
          if (!parsed.success) {
            expect(answer.status, `${context}: ${text.slice(0, 200)}`).toBe(400);
            expect(errorOf(text).code, context).toBe("INVALID_REQUEST");
            return;
          }
          if (parsed.data.node !== HIVE_NODE) expect(errorOf(text).code, context).toBe("NODE_NOT_FOUND");
          else if (parsed.data.worker !== undefined) expect(errorOf(text).code, context).toBe("WORKER_NOT_FOUND");
          else {
            expect(answer.status, `${context}: ${text.slice(0, 200)}`).toBe(200);
            expect((JSON.parse(text) as { lines: string[] }).lines.length).toBeLessThanOrEqual(parsed.data.lines ?? 200);
            served += 1;
          }
        },
      ),
      {
        numRuns: 150,
        examples: [
          [HIVE_NODE, undefined, "5", undefined],
          [HIVE_NODE, undefined, undefined, "true"],
          [HIVE_NODE, "w-nobody", "1", "true"],
          [HIVE_NODE, "../../etc/passwd", undefined, undefined],
          [HIVE_NODE, undefined, "-1", undefined],
          [HIVE_NODE, undefined, "99999999999", "true"],
          [HIVE_NODE, undefined, "10001", undefined],
          ["no-such-node", undefined, undefined, undefined],
        ],
      },
    );
    expect(served, "no valid query was served").toBeGreaterThan(0);
  }, 120_000);

  test("the hive's own log route refuses a worker id that names a path, and reads no file outside its logs", async () => {
    // The hive of the hive node runs by now (the queries above were served by it).
    const nodeHome = join(dir, "node-home");
    const hive = JSON.parse(readFileSync(join(nodeHome, "hive.json"), "utf8")) as { url: string };
    const token = readFileSync(join(nodeHome, "hive-token"), "utf8").trim();
    for (const worker of ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "..", "a/b", "%2e%2e"]) {
      const answer = await fetch(`${hive.url}/v1/logs?worker=${worker}`, { headers: { authorization: `Bearer ${token}` } });
      const text = await answer.text();
      expect([400, 404], `${worker}: ${text}`).toContain(answer.status);
      expect(text).not.toMatch(/root:.*:0:0:/);
    }
    const unauthenticated = await fetch(`${hive.url}/v1/logs`);
    expect(unauthenticated.status).toBe(401);
  });
});

describe("afterwards", () => {
  test("every stored row, read raw, is valid and exactly what its request asked; some came from fuzzed bodies", () => {
    const { fuzzed } = rows.expectAllAsGiven("final sweep");
    expect(fuzzed, "no fuzzed row is left to check").toBeGreaterThan(0);
    for (const row of rows.rows()) expect(String(row.node_name)).toMatch(NODE_NAME_PATTERN);
  });

  test("no payload ran anywhere, and the marker check sees one that does", () => {
    expectNoPayloadRan("after every property");
    // The control: the same payloads, evaluated the way an unquoted script would, do create their marker.
    expect(payloadsThatWouldNotRun(join(dir, `control-${randomUUID()}`))).toEqual([]);
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
