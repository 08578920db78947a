import { readFileSync } from "node:fs";
import { join } from "node:path";
import { jsonClient } from "../../test/helpers/http-client.js";
import { listeningSockets } from "../../test/helpers/listening-sockets.js";
import { startSshd, type Sshd } from "../../test/helpers/sshd.js";
import { writeTinyGguf } from "../../test/helpers/tiny-gguf.js";
import type { AppSnapshot } from "./app-snapshot.js";
import { startBenchQueen, type BenchQueen } from "./queen.js";
import { assertStreamOk, timedPost } from "./timed-stream.js";

/** The node the benchmark registers on the loopback sshd. */
export const NODE = "bench";

/** A worker reached directly on its loopback port, as the hive knows it. */
export interface DirectWorker {
  readonly id: string;
  readonly url: string;
  readonly token: string;
}

/** A real install on loopback: sshd, a queen of the benchmarked build, a node, a generated model. */
export interface BenchFleet {
  readonly sshd: Sshd;
  readonly queen: BenchQueen;
  readonly modelRef: string;
  readonly modelPath: string;
  readonly nodeHome: string;
  readonly api: ReturnType<typeof jsonClient>;
  /** The node's registration body (for re-adding it after a removal). */
  readonly nodeBody: Record<string, unknown>;
  /** Finds the running worker and its token through the node's hive, bypassing the queen. */
  directWorker(): Promise<DirectWorker>;
  /**
   * The queen's own SSH local forward to the worker (a loopback port the queen process listens on):
   * the tunnel the relay uses, without the queen's request handling. Null when none is open.
   */
  tunnelToWorker(): Promise<string | null>;
  dispose(): Promise<void>;
}

/**
 * The model is the tiny generated llama (64-wide, 2 blocks) that never samples end-of-sequence, with
 * one thread: over 1,000 tokens/s, so that the relay, not the engine, is what could limit.
 */
export async function startFleet(app: AppSnapshot, dir: string): Promise<BenchFleet> {
  const modelPath = join(dir, "tiny.gguf");
  await writeTinyGguf(modelPath, { seed: 7, eos: "never" });
  const modelRef = `file:${modelPath}`;
  const nodeHome = join(dir, "node-home");
  const sshd = await startSshd();
  let queen: BenchQueen | undefined;
  try {
    // This computer is a node too (`local`, the cold section compares it with the SSH node).
    queen = await startBenchQueen(app.root, { RBEE_NODE_HOME: nodeHome, RBEE_WORKER_THREADS: "1", RBEE_LOCAL_NODE: "1" });
    const api = jsonClient(queen.baseUrl, queen.token);
    const nodeBody = {
      node_name: NODE,
      ssh_host: sshd.host,
      ssh_port: sshd.port,
      ssh_user: sshd.user,
      ssh_key_path: sshd.keyPath,
      git_repo_url: `file://${app.root}`,
      install_path: app.root,
    };
    const added = await api.post("/v2/registry/beehives/add", nodeBody);
    if (added.status !== 201) throw new Error(`adding the node failed: ${JSON.stringify(added.body)}`);
    const owned = queen;
    return {
      sshd,
      queen: owned,
      modelRef,
      modelPath,
      nodeHome,
      api,
      nodeBody,
      async directWorker() {
        const hive = JSON.parse(readFileSync(join(nodeHome, "hive.json"), "utf8")) as { port: number };
        const hiveToken = readFileSync(join(nodeHome, "hive-token"), "utf8").trim();
        const response = await fetch(`http://127.0.0.1:${hive.port}/v1/workers/list`, { headers: { authorization: `Bearer ${hiveToken}` } });
        const { workers } = (await response.json()) as { workers: { id: string; url: string; token?: string; model_ref: string }[] };
        const worker = workers.find((w) => w.model_ref === modelRef && w.token);
        if (!worker?.token) throw new Error(`the hive lists no worker with ${modelRef}`);
        return { id: worker.id, url: worker.url, token: worker.token };
      },
      async tunnelToWorker() {
        const apiPort = Number(new URL(owned.baseUrl).port);
        for (const socket of listeningSockets([owned.pid])) {
          if (socket.port === apiPort) continue;
          const url = `http://127.0.0.1:${socket.port}`;
          // The worker's /health needs no token and names its state; the hive's forward answers 401.
          const health = (await fetch(`${url}/health`).then((r) => (r.ok ? r.json() : null)).catch(() => null)) as { state?: string } | null;
          if (health?.state) return url;
        }
        return null;
      },
      async dispose() {
        await owned.stop();
        await sshd.dispose();
      },
    };
  } catch (error) {
    await queen?.stop();
    await sshd.dispose();
    throw error;
  }
}

/** Runs one inference through the queen so that a worker with the model is loaded and idle. */
export async function warmUp(fleet: BenchFleet): Promise<void> {
  const { body } = await fleet.api.get("/v1/workers/list");
  // A worker still finishing an earlier job (a failed run) answers NO_CAPACITY: let it finish.
  if ((body?.workers ?? []).some((w: { model_ref: string }) => w.model_ref === fleet.modelRef)) await settleIdle(fleet, 30_000);
  const answer = await timedPost(`${fleet.queen.baseUrl}/v1/inference`, fleet.queen.token, {
    model: fleet.modelRef,
    node: NODE,
    prompt: "hello",
    max_tokens: 4,
    seed: 1,
  });
  assertStreamOk(answer, "warm-up inference through the queen");
}

/**
 * Waits until the queen sees every slot of the node's worker free, twice in a row 20 ms apart: the
 * worker's own busy/idle updates travel through the hive and may land after a stream ends.
 */
export async function settleIdle(fleet: BenchFleet, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  let seen: unknown[] = [];
  while (Date.now() < deadline) {
    const { body } = await fleet.api.get("/v1/workers/list");
    const workers = (body?.workers ?? []) as { model_ref: string; state: string; slots_available: number; slots_total: number }[];
    seen = workers;
    // Every slot free is what matters to the scheduler; the state label may lag behind it (a
    // heartbeat refreshes the free slots but not the state).
    const idle = workers.some((w) => w.model_ref === fleet.modelRef && w.state !== "loading" && w.slots_available === w.slots_total);
    streak = idle ? streak + 1 : 0;
    if (streak >= 2) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the worker did not settle idle in the queen's registry within ${timeoutMs} ms: ${JSON.stringify(seen)}`);
}
