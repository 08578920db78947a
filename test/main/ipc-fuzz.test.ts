// Property-based fuzzing of every IPC handler (with a stand-in for Electron's ipcMain, which cannot
// run here) against a real queen core and a real sshd on loopback. Each input starts valid and gets
// ONE hostile field, so that it gets past validation to SSH probing, the install script and
// scheduling. The oracle is the contract: an input it refuses gets INVALID_REQUEST; an accepted call
// answers a value its row's answer schema accepts, or a coded error (never INTERNAL); a stream's
// events fit its row's event schema. Stored nodes are read back raw through a second SQLite handle;
// shell payloads name a per-run marker file that must never appear. Untrusted senders are refused.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import {
  API,
  API_METHOD_NAMES,
  SshNodeRequest,
  IpcOutcome,
  IpcStreamMessage,
  ipcChannel,
  ipcStreamChannel,
  ipcStreamEventChannel,
  parseInput,
  splitInput,
  type CallName,
  type StreamName,
} from "../../src/shared/contract/index.js";
import { Queen } from "../../src/core/queen.js";
import {
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

vi.mock("electron", async () => (await import("../helpers/fake-ipc-main.js")).electronStub);
const { ipcHandlers: handlers } = await import("../helpers/fake-ipc-main.js");
const { registerIpc } = await import("../../src/main/ipc.js");
const { QueenService } = await import("../../src/core/service/queen-service.js");

/** A window's webContents: the messages pushed to it, by channel. */
class FakeSender extends EventEmitter {
  private static next = 1;
  readonly id = FakeSender.next++;
  private readonly waiting = new Map<string, { messages: unknown[]; ended: () => void }>();
  isDestroyed(): boolean {
    return false;
  }
  send(channel: string, message: unknown): void {
    const stream = this.waiting.get(channel);
    if (!stream) return;
    stream.messages.push(message);
    if (IpcStreamMessage.parse(message).kind === "end") stream.ended();
  }
  /** Resolves with a stream's messages once its `end` came. */
  collect(streamId: string): { done: Promise<unknown[]> } {
    const messages: unknown[] = [];
    const done = new Promise<unknown[]>((resolve) => this.waiting.set(ipcStreamEventChannel(streamId), { messages, ended: () => resolve(messages) }));
    return { done };
  }
}

const TRUSTED = new FakeSender();
const SSHD_NODE = "ipc-sshd";
let dir: string;
let queen: Queen;
let sshd: Sshd;
let rows: StoredRows;
let scope: FuzzScope;
let closedPort: number;
let tried = 0;
let names = 0;
const nextName = (): string => `ipc-${++names}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-ipc-fuzz-"));
  closedPort = await freePort();
  sshd = await startSshd();
  scope = { dir, marker: join(dir, `pwned-${randomUUID()}`), ports: [closedPort, sshd.port] };
  queen = new Queen({ home: dir, sshTimeoutMs: 5_000, userKnownHosts: [], sshAgent: "", nodeHome: join(dir, "node-home") });
  registerIpc(new QueenService(queen, { readSshConfig: () => [] }), (sender) => (sender as unknown) === TRUSTED, () => {});
  rows = new StoredRows(dir);
  // A node on the test sshd without rbee: spawns and inferences there reach the install script.
  const node = nodeInput(SSHD_NODE, "sshd");
  const added = IpcOutcome.parse(await call("addNode", TRUSTED, [{ ...node, verify: false }]));
  expect(added.ok, JSON.stringify(added)).toBe(true);
  rows.stored(SshNodeRequest.parse(node), false, "the sshd node");
}, 60_000);

afterAll(async () => {
  console.log(`ipc fuzz: ${tried} calls tried`);
  rows?.close();
  await queen?.close();
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function nodeInput(name: string, target: "sshd" | "closed") {
  return {
    node_name: name,
    ssh_host: "127.0.0.1",
    ssh_port: target === "sshd" ? sshd.port : closedPort,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    git_repo_url: `file://${dir}/no-such-repo`,
    git_branch: "main",
    install_path: join(dir, "inst", name),
  };
}

function call(method: CallName, sender: unknown, args: unknown[]): Promise<unknown> {
  tried += 1;
  return Promise.resolve(handlers.get(ipcChannel(method))!({ sender, senderFrame: { url: "file:///x" } }, ...args));
}

/** Starts a stream row and waits for its end: the start's outcome, and the events it pushed. */
async function stream(method: StreamName, input: unknown): Promise<{ outcome: IpcOutcome; events: unknown[] }> {
  tried += 1;
  const streamId = randomUUID();
  const { done } = TRUSTED.collect(streamId);
  const outcome = IpcOutcome.parse(await handlers.get(ipcStreamChannel(method))!({ sender: TRUSTED, senderFrame: { url: "file:///x" } }, streamId, input));
  if (!outcome.ok) return { outcome, events: [] };
  const messages = await done;
  return { outcome, events: messages.flatMap((m) => (IpcStreamMessage.parse(m).kind === "event" ? [(m as { event: unknown }).event] : [])) };
}

const overTheWire = (value: unknown): unknown => structuredClone(value);
const show = (hostile: HostileField) => `${hostile.field}=${typeof hostile.value === "symbol" ? "(left out)" : (JSON.stringify(hostile.value) ?? String(hostile.value)).slice(0, 160)}`;

/** Whether the contract accepts `input` for `method` (the oracle). */
function accepted(method: CallName | StreamName, input: unknown): boolean {
  try {
    parseInput(method, splitInput(API[method], input));
    return true;
  } catch {
    return false;
  }
}

function expectNoPayloadRan(context: string): void {
  expect(existsSync(scope.marker), `${context}: a shell payload ran (${scope.marker} exists)`).toBe(false);
}

/** The call's outcome against the oracle: a refusal for what the contract refuses, else a valid answer or a coded error. */
function expectOutcome(method: CallName, input: unknown, raw: unknown, context: string): IpcOutcome {
  const outcome = IpcOutcome.parse(raw);
  if (!accepted(method, input)) {
    expect(outcome, `${context}: the contract refuses it`).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST" } });
    return outcome;
  }
  if (outcome.ok) {
    const answer = API[method].answer.safeParse(outcome.value);
    expect(answer.success, `${context}: answer outside the row's schema: ${JSON.stringify(outcome.value)?.slice(0, 300)}`).toBe(true);
  } else {
    expect(outcome.error.code, `${context}: ${outcome.error.message}`).not.toBe("INTERNAL");
  }
  return outcome;
}

const payloadExamples = (fields: Record<string, (payload: string) => string>): [HostileField][] =>
  Object.entries(fields).flatMap(([field, place]) => shellPayloads(scope.marker).map((payload) => [{ field, value: place(payload.value) }] as [HostileField]));

describe("call rows, one hostile field on a valid input", () => {
  test("addNode (verify false or hostile): stored exactly as given, read raw through a second handle", async () => {
    let fuzzedStored = 0;
    const generators = { ...nodeFieldGenerators(scope), verify: fc.oneof(junk, fc.constantFrom(false, "false", true, "true")) };
    await fc.assert(
      fc.asyncProperty(oneHostileField(generators), async (hostile) => {
        const context = `addNode ${show(hostile)}`;
        const input = overTheWire(withField({ ...nodeInput(nextName(), "closed"), verify: false }, hostile));
        const before = rows.count();
        const outcome = expectOutcome("addNode", input, await call("addNode", TRUSTED, [input]), context);
        if (!outcome.ok) {
          expect(rows.count(), `${context}: refused, yet a row was stored`).toBe(before);
          return;
        }
        const parsed = SshNodeRequest.parse(splitInput(API.addNode, input).body);
        // The port of the test's sshd is the one way a verified add gets through.
        rows.stored(parsed, true, context);
        expect(API.addNode.answer.parse(outcome.value).node.node_name).toBe(parsed.node_name);
        expect(Object.values(rowFieldsOf(parsed)).some((v) => typeof v === "string" && /\p{Cs}/u.test(v)), context).toBe(false);
        fuzzedStored += 1;
      }),
      {
        numRuns: 120,
        examples: [
          ...payloadExamples({ install_path: (p) => join(dir, "inst", p), node_name: (p) => p }),
          // Text SQLite cannot hold as given (it stores UTF-8): a lone surrogate.
          [{ field: "install_path", value: join(dir, "inst", "a\ud800") }],
          [{ field: "git_repo_url", value: `file://${dir}/repo/\udfff` }],
        ],
      },
    );
    expect(fuzzedStored, "no fuzzed node was stored: the property checked nothing").toBeGreaterThan(0);
  }, 60_000);

  test("testNode, nodeDevices, removeNode: probes fail fast at a closed port, refusals are coded", async () => {
    let probed = 0;
    const cases: [CallName, () => Record<string, unknown>, Record<string, fc.Arbitrary<unknown>>][] = [
      ["testNode", () => nodeInput(nextName(), "closed"), nodeFieldGenerators(scope)],
      ["nodeDevices", () => ({ node_name: SSHD_NODE }), { node_name: fc.oneof(nodeFieldGenerators(scope).node_name!, fc.constantFrom(...rows.expected.keys())) }],
      ["removeNode", () => ({ node_name: [...rows.expected.keys()].find((name) => name !== SSHD_NODE) ?? "none" }), { node_name: nodeFieldGenerators(scope).node_name! }],
    ];
    for (const [method, base, generators] of cases) {
      await fc.assert(
        fc.asyncProperty(oneHostileField(generators), async (hostile) => {
          const context = `${method} ${show(hostile)}`;
          const input = overTheWire(withField(base(), hostile));
          const before = rows.count();
          const outcome = expectOutcome(method, input, await call(method, TRUSTED, [input]), context);
          if (!outcome.ok && ["SSH_FAILED", "NOT_INSTALLED"].includes(outcome.error.code)) probed += 1;
          if (method === "removeNode" && outcome.ok) rows.removed((input as { node_name: string }).node_name, context);
          else expect(rows.count(), `${context}: the row count changed`).toBe(before);
        }),
        { numRuns: 40 },
      );
    }
    expect(probed, "no call got as far as SSH").toBeGreaterThan(0);
  }, 60_000);

  test("the other call rows: answers fit their schema, refusals are coded", async () => {
    const cases: [CallName, Record<string, unknown>, Record<string, fc.Arbitrary<unknown>>][] = [
      ["health", {}, { [randomUUID().slice(0, 4)]: junk }],
      ["listNodes", {}, { x: junk }],
      ["listWorkers", {}, { x: junk }],
      ["sshConfigHosts", {}, { x: junk }],
      ["stopWorker", { id: "w-1" }, { id: fc.oneof(junk, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,10}$/)) }],
      ["cancelInference", { job_id: "job-1" }, { job_id: fc.oneof(junk, fc.stringMatching(/^[A-Za-z0-9._-]{1,10}$/)) }],
      ["cancelStream", { stream_id: randomUUID() }, { stream_id: fc.oneof(junk, fc.uuid()) }],
    ];
    for (const [method, base, generators] of cases) {
      await fc.assert(
        fc.asyncProperty(oneHostileField(generators), async (hostile) => {
          const input = overTheWire(withField(base, hostile));
          expectOutcome(method, input, await call(method, TRUSTED, [input]), `${method} ${show(hostile)}`);
        }),
        { numRuns: 30 },
      );
    }
    // Whole argument lists of the wrong shape.
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...API_METHOD_NAMES), fc.array(junk, { maxLength: 3 }), async (method, args) => {
        const outcome = IpcOutcome.parse(await call(method, TRUSTED, args));
        if (!outcome.ok) expect(outcome.error.code, `${method} ${outcome.error.message}`).not.toBe("INTERNAL");
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe("stream rows, one hostile field on a valid input", () => {
  test("installNode on the test sshd: the install script runs with the hostile value and fails; no payload runs", async () => {
    let ranScript = 0;
    await fc.assert(
      fc.asyncProperty(oneHostileField(nodeFieldGenerators(scope)), async (hostile) => {
        const context = `installNode ${show(hostile)}`;
        const node = overTheWire(withField(nodeInput(nextName(), "sshd"), hostile));
        const added = IpcOutcome.parse(await call("addNode", TRUSTED, [{ ...(node as object), verify: false }]));
        if (!added.ok) return;
        const parsed = SshNodeRequest.parse(node);
        rows.stored(parsed, true, context);
        const { outcome, events } = await stream("installNode", { node_name: parsed.node_name });
        expect(outcome, context).toEqual({ ok: true, value: null });
        for (const event of events) expect(API.installNode.events.safeParse(event).success, `${context}: ${JSON.stringify(event)}`).toBe(true);
        const last = events.at(-1) as { type: string; code?: string } | undefined;
        expect(last?.type, `${context}: ${JSON.stringify(last)}`).toBe("error");
        if (last?.code === "INSTALL_FAILED") ranScript += 1;
        expectNoPayloadRan(context);
        const removed = expectOutcome("removeNode", { node_name: parsed.node_name }, await call("removeNode", TRUSTED, [{ node_name: parsed.node_name }]), context);
        expect(removed.ok, context).toBe(true);
        rows.removed(parsed.node_name, context);
      }),
      { numRuns: 10, examples: payloadExamples({ install_path: (p) => join(dir, "inst", p), git_repo_url: (p) => `file://${dir}/repo/${p}` }) },
    );
    expect(ranScript, "no install script ran").toBeGreaterThan(0);
  }, 120_000);

  test("spawnWorker and infer on a node without rbee: scheduled, the install they need fails; no payload runs", async () => {
    const cases: [StreamName, Record<string, unknown>, Record<string, fc.Arbitrary<unknown>>][] = [
      [
        "spawnWorker",
        { node_name: SSHD_NODE, model_ref: `file:${dir}/m.gguf` },
        { node_name: nodeFieldGenerators(scope).node_name!, model_ref: modelRefGenerator(scope), backend: fc.oneof(junk, fc.constantFrom("cpu", "cuda")), slots: fc.oneof(junk, fc.integer({ min: -1, max: 70 })) },
      ],
      [
        "infer",
        { model: `file:${dir}/m.gguf`, prompt: "hi", node: SSHD_NODE, max_tokens: 2 },
        { model: modelRefGenerator(scope), node: nodeFieldGenerators(scope).node_name!, prompt: fc.oneof(junk, fc.string()), max_tokens: fc.oneof(junk, fc.integer({ min: -1, max: 40_000 })), stop: fc.oneof(junk, fc.array(fc.string({ maxLength: 4 }), { maxLength: 20 })) },
      ],
    ];
    let reachedInstall = 0;
    for (const [method, base, generators] of cases) {
      await fc.assert(
        fc.asyncProperty(oneHostileField(generators), async (hostile) => {
          const context = `${method} ${show(hostile)}`;
          const input = overTheWire(withField(base, hostile));
          const { outcome, events } = await stream(method, input);
          if (!accepted(method, input)) {
            expect(outcome, `${context}: the contract refuses it`).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST" } });
            return;
          }
          if (!outcome.ok) {
            expect(outcome.error.code, `${context}: ${outcome.error.message}`).toBe("NODE_NOT_FOUND");
            return;
          }
          for (const event of events) expect(API[method].events.safeParse(event).success, `${context}: ${JSON.stringify(event)}`).toBe(true);
          const last = events.at(-1) as { type: string; code?: string } | undefined;
          expect(last?.type, `${context}: ${JSON.stringify(last)}`).toBe("error");
          if (last?.code === "INSTALL_FAILED") reachedInstall += 1;
          expectNoPayloadRan(context);
        }),
        { numRuns: 15, examples: payloadExamples({ [method === "infer" ? "model" : "model_ref"]: (p) => `file:${dir}/models/${p}.gguf` }).slice(0, 4) },
      );
    }
    expect(reachedInstall, "no spawn or inference reached the install script").toBeGreaterThan(0);
  }, 120_000);
});

describe("afterwards", () => {
  test("every stored row, read raw, is valid and exactly what its call asked; some came from fuzzed inputs", () => {
    const { fuzzed } = rows.expectAllAsGiven("final sweep");
    expect(fuzzed, "no fuzzed row is left to check").toBeGreaterThan(0);
  });

  test("no payload ran anywhere, and the marker check sees one that does", () => {
    expectNoPayloadRan("after every property");
    expect(payloadsThatWouldNotRun(join(dir, `control-${randomUUID()}`))).toEqual([]);
  });

  test("a sender other than our window is refused, whatever it asks", async () => {
    for (const method of API_METHOD_NAMES) {
      const outcome = IpcOutcome.parse(await call(method, new FakeSender(), []));
      expect(outcome).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
    }
  });
});
