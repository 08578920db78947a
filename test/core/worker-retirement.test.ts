// Every way a worker leaves the registry goes through WorkerLifecycle.retire, which leaves no token
// that speaks for it: neither its callback token nor its API token.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { CallbackTokens } from "../../src/core/callback-tokens.js";
import type { Fleet } from "../../src/core/fleet.js";
import { spawnWorker, type SpawnDeps } from "../../src/core/fleet/spawning.js";
import { WorkerEndpoints } from "../../src/core/fleet/worker-endpoints.js";
import { WorkerLifecycle } from "../../src/core/fleet/worker-lifecycle.js";
import { InferenceService } from "../../src/core/inference/inference-service.js";
import { WorkerLivenessMonitor } from "../../src/core/monitors/worker-liveness.js";
import { Queen } from "../../src/core/queen.js";
import { BeehiveRegistry } from "../../src/core/registry/beehive-registry.js";
import { WorkerRegistry } from "../../src/core/registry/worker-registry.js";
import { RbeeError, type HiveWorker, type RegisterWorkerRequest, type StreamEvent } from "../../src/shared/contract/index.js";
import { sourceFilesMatching } from "../helpers/source-files.js";

const node = (name: string) => ({
  node_name: name,
  ssh_host: "rbee-test.invalid",
  ssh_port: 22,
  ssh_user: "u",
  git_repo_url: "file:///tmp/r.git",
  git_branch: "main",
  install_path: "/tmp/x",
});

const registration = (id: string): RegisterWorkerRequest => ({
  worker_id: id,
  url: "http://127.0.0.1:9301",
  model_ref: "tiny",
  backend: "cpu",
  device: 0,
  slots_total: 1,
  slots_available: 1,
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-retire-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A lifecycle over real registries and tokens, with a hive that runs `running` and records stops. */
function world(running: readonly HiveWorker[] = []) {
  const beehives = new BeehiveRegistry(join(dir, "beehives.db"));
  beehives.add(node("mac"), "ready");
  const workers = new WorkerRegistry();
  const callbackTokens = new CallbackTokens();
  const stopped: string[] = [];
  const onStop = new Set<() => void>();
  const hives = {
    attach: async () => ({
      client: {
        listWorkers: async () => running,
        stopWorker: async (id: string) => {
          stopped.push(id);
          for (const listener of [...onStop]) listener();
        },
      },
    }),
  } as unknown as ConstructorParameters<typeof WorkerLifecycle>[0]["hives"];
  /** Resolves once the hive was asked for `count` stops in all (a stop may be fire-and-forget). */
  const stops = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (stopped.length < count) return;
        onStop.delete(check);
        resolve();
      };
      onStop.add(check);
      check();
    });
  const endpoints = new WorkerEndpoints({
    beehives,
    workers,
    hives: { ensure: () => Promise.reject(new Error("no hive in this test")) },
    connections: { get: () => Promise.reject(new Error("no SSH in this test")) },
  });
  const lifecycle = new WorkerLifecycle({ beehives, workers, callbackTokens, endpoints, hives, log: () => {} });
  /** Registers a worker the way a spawn does, with both its tokens. */
  const enrol = (id: string) => {
    const callbackToken = callbackTokens.issue(id, "mac");
    endpoints.remember(id, `api-token-of-${id}`);
    lifecycle.admit(registration(id), "mac");
    return callbackToken;
  };
  /** What still speaks for the worker. */
  const leftovers = (id: string, callbackToken: string) => ({
    registered: workers.get(id) !== undefined,
    callbackToken: callbackTokens.resolve(callbackToken) !== undefined,
    apiToken: endpoints.hasToken(id),
  });
  const none = { registered: false, callbackToken: false, apiToken: false };
  return { beehives, workers, callbackTokens, endpoints, lifecycle, stopped, stops, enrol, leftovers, none, close: () => beehives.close() };
}

describe("WorkerLifecycle.retire", () => {
  test("removes the worker and both its tokens at once; stops its process when asked", async () => {
    const w = world();
    const token = w.enrol("w1");
    expect(w.leftovers("w1", token)).toEqual({ registered: true, callbackToken: true, apiToken: true });
    const retiring = w.lifecycle.retire("w1", "stopped", { stopProcess: true });
    expect(w.leftovers("w1", token)).toEqual(w.none);
    await retiring;
    expect(w.stopped).toEqual(["w1"]);
    w.close();
  });

  test("a stopped worker may not register again, and is stopped again when it tries", async () => {
    const w = world();
    w.enrol("w1");
    await w.lifecycle.retire("w1", "stopped", { stopProcess: true });
    expect(() => w.lifecycle.admit(registration("w1"), "mac")).toThrow(expect.objectContaining({ code: "WORKER_CONFLICT" }));
    await w.stops(2);
    expect(w.stopped).toEqual(["w1", "w1"]);
    expect(w.workers.get("w1")).toBeUndefined();
    w.close();
  });

  test("a worker that is gone is only forgotten: nothing to stop, free to come back", async () => {
    const w = world();
    const token = w.enrol("w1");
    await w.lifecycle.retire("w1", "gone", { stopProcess: false });
    expect(w.leftovers("w1", token)).toEqual(w.none);
    expect(w.stopped).toEqual([]);
    expect(w.lifecycle.admit(registration("w1"), "mac")).toBe("created");
    w.close();
  });
});

describe("every removal path leaves no tokens", () => {
  test("WorkerLifecycle is the only code that removes a worker or drops its tokens", () => {
    expect(sourceFilesMatching(/workers\.remove\(|callbackTokens\.revoke\(|endpoints\.forget\(/)).toEqual(["core/fleet/worker-lifecycle.ts"]);
  });

  test("forgetIfGone: a worker its hive no longer runs", async () => {
    const w = world([]);
    const token = w.enrol("w1");
    await w.lifecycle.forgetIfGone(w.workers.require("w1"));
    expect(w.leftovers("w1", token)).toEqual(w.none);
    w.close();
  });

  test("forgetIfGone keeps a worker its hive still runs", async () => {
    const w = world([{ id: "w1", pid: 1, url: "http://127.0.0.1:9301", model_ref: "tiny", backend: "cpu", device: 0, state: "idle", slots_total: 1, slots_available: 1 }]);
    const token = w.enrol("w1");
    await w.lifecycle.forgetIfGone(w.workers.require("w1"));
    expect(w.leftovers("w1", token)).toEqual({ registered: true, callbackToken: true, apiToken: true });
    w.close();
  });

  test("inference: a worker its node no longer runs (WORKER_NOT_FOUND) is retired and the job placed again", async () => {
    const w = world();
    const token = w.enrol("w1");
    const fleet = {
      endpoint: async () => {
        throw new RbeeError("WORKER_NOT_FOUND", "gone");
      },
      retireWorker: (id, reason, options) => w.lifecycle.retire(id, reason, options),
      forgetIfGone: async () => {},
      spawnWorker: async () => {
        throw new RbeeError("NO_CAPACITY", "no spawning in this test");
      },
    } satisfies Pick<Fleet, "endpoint" | "retireWorker" | "forgetIfGone" | "spawnWorker">;
    const inference = new InferenceService({ beehives: w.beehives, workers: w.workers, fleet });
    const events: StreamEvent[] = [];
    await inference.run(
      { model: "tiny", prompt: "hi", max_tokens: 1, temperature: 0, node: "mac" } as Parameters<InferenceService["run"]>[0],
      (event) => events.push(event),
      new AbortController().signal,
    );
    expect(w.leftovers("w1", token)).toEqual(w.none);
    expect(events.at(-1)).toMatchObject({ type: "error", code: "NO_CAPACITY" });
    w.close();
  });

  test("liveness: a worker silent too long", async () => {
    const w = world();
    const token = w.enrol("w1");
    const monitor = new WorkerLivenessMonitor(
      () => w.workers.list(),
      () => Number.POSITIVE_INFINITY,
      1_000,
      (id) => void w.lifecycle.retire(id, "expired", { stopProcess: true }),
    );
    monitor.tick();
    expect(w.leftovers("w1", token)).toEqual(w.none);
    w.close();
  });

  test("spawn: a spawn that fails after the hive gave the worker its tokens", async () => {
    const w = world();
    let body: { worker_id?: string; callback_token?: string } = {};
    const hive = {
      client: {
        async *spawn(request: typeof body) {
          body = request;
          yield { type: "spawned" as const, worker_id: request.worker_id!, url: "http://127.0.0.1:9301", pid: 1, state: "loading" as const, token: "api" };
          yield { type: "error" as const, code: "MODEL_NOT_FOUND", message: "no such model" };
        },
      },
    };
    const deps = {
      beehives: w.beehives,
      workers: w.workers,
      callbackTokens: w.callbackTokens,
      endpoints: w.endpoints,
      lifecycle: w.lifecycle,
      access: { connect: async () => ({}), startHive: async () => hive },
      install: async () => {},
    } as unknown as SpawnDeps;
    await expect(spawnWorker(deps, { node_name: "mac", model_ref: "tiny", backend: "cpu", device: 0 }, () => {})).rejects.toMatchObject({
      code: "MODEL_NOT_FOUND",
    });
    expect(w.leftovers(body.worker_id!, body.callback_token!)).toEqual(w.none);
    w.close();
  });
});

describe("through the queen", () => {
  const withQueen = async (run: (queen: Queen) => Promise<void>, heartbeatMs?: number) => {
    const queen = new Queen({ home: dir, sshTimeoutMs: 300, userKnownHosts: [], sshAgent: "", heartbeatMs });
    try {
      await run(queen);
    } finally {
      await queen.close();
    }
  };
  const enrol = (queen: Queen, id: string) => {
    const token = queen.callbackTokens.issue(id, "mac");
    queen.fleet.endpoints.remember(id, "api");
    queen.registerWorker(registration(id), { kind: "worker", workerId: id, nodeName: "mac" });
    return token;
  };
  const leftovers = (queen: Queen, id: string, token: string) => ({
    registered: queen.workers.get(id) !== undefined,
    callbackToken: queen.callbackTokens.resolve(token) !== undefined,
    apiToken: queen.fleet.endpoints.hasToken(id),
  });
  const none = { registered: false, callbackToken: false, apiToken: false };

  test("stopWorker (DELETE /v1/workers/:id); the worker may not register again", () =>
    withQueen(async (queen) => {
      await queen.addNode(node("mac"), false);
      const token = enrol(queen, "w1");
      await queen.stopWorker("w1");
      expect(leftovers(queen, "w1", token)).toEqual(none);
      expect(() => queen.registerWorker(registration("w1"), { kind: "user" })).toThrow(expect.objectContaining({ code: "WORKER_CONFLICT" }));
    }));

  test("removeNode: every worker on it", () =>
    withQueen(async (queen) => {
      await queen.addNode(node("mac"), false);
      const tokens = ["w1", "w2"].map((id) => enrol(queen, id));
      await queen.removeNode("mac");
      expect(leftovers(queen, "w1", tokens[0]!)).toEqual(none);
      expect(leftovers(queen, "w2", tokens[1]!)).toEqual(none);
    }));

  test("the liveness monitor: a worker that stopped sending heartbeats", () =>
    withQueen(async (queen) => {
      const token = enrol(queen, "w1");
      queen.start();
      const deadline = Date.now() + 5_000;
      while (queen.workers.get("w1") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(leftovers(queen, "w1", token)).toEqual(none);
    }, 20));
});
