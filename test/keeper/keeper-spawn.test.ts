// `rbee-keeper workers spawn` with shards, against a real queen-rbee: the flags map to the spawn
// request, the contract's refinements answer in words; `workers list` shows a split worker's shards.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { workerRow, WORKER_HEADERS } from "../../src/keeper/workers-table.js";
import type { RegisteredWorker } from "../../src/shared/contract/index.js";
import { runKeeperBin } from "../helpers/keeper.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";

let queen: QueenProcess;
let env: Record<string, string>;

beforeAll(async () => {
  queen = await startQueen();
  env = { RBEE_HOME: queen.home, RBEE_TOKEN: "", RBEE_QUEEN_URL: queen.baseUrl };
}, 120_000);
afterAll(async () => {
  await queen?.stop();
});

const keeper = (...args: string[]) => runKeeperBin(args, env);

describe("workers spawn", () => {
  test("a shard that is the main node itself is refused, saying why", async () => {
    const run = await keeper("workers", "spawn", "--node", "mac", "--model", "tinyllama", "--engine", "llama-server", "--shard", "mac");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("shards: mac runs llama-server: it cannot also be one of its shards");
  });

  test("shards with node-llama-cpp are refused; the same shard twice too", async () => {
    const engine = await keeper("workers", "spawn", "--node", "mac", "--model", "tinyllama", "--engine", "node-llama-cpp", "--shard", "pc");
    expect(engine.code).toBe(1);
    expect(engine.stderr).toContain("a model split across nodes runs on llama-server, not node-llama-cpp");
    const twice = await keeper("worker", "spawn", "--node", "mac", "--model", "tinyllama", "--shard", "pc", "--shard", "pc");
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain("each shard node may be named once");
  });

  test("valid flags reach the spawn itself: an unknown node is the queen's NODE_NOT_FOUND", async () => {
    const run = await keeper("workers", "spawn", "--node", "mac", "--model", "tinyllama", "--shard", "pc", "--shard", "laptop", "--threads", "1");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/mac/);
    expect(run.stderr).not.toMatch(/shards:/);
  });

  test("--node and --model are required", async () => {
    const run = await keeper("workers", "spawn", "--shard", "pc");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Missing --node");
  });
});

describe("workers list", () => {
  const worker: RegisteredWorker = {
    id: "mac-1a2b3c4d",
    url: "http://127.0.0.1:9301",
    model_ref: "hf:org/repo/big.gguf",
    backend: "cpu",
    device: 0,
    state: "idle",
    slots_total: 1,
    slots_available: 1,
    vram_bytes: null,
    node_name: "mac",
    last_heartbeat_unix: 0,
    engine: "llama-server",
    shards: [
      { node_name: "pc", device: "CPU", bytes: 3 * 1024 ** 3 },
      { node_name: "laptop", device: "CUDA0", bytes: 512 * 1024 ** 2 },
    ],
  };

  test("a split worker's row names each shard with its device and bytes", () => {
    expect(WORKER_HEADERS.at(-1)).toBe("SHARDS");
    expect(workerRow(worker)).toEqual([
      "mac-1a2b3c4d", "mac", "hf:org/repo/big.gguf", "cpu:0 (llama-server)", "idle", "0/1", "—", "pc:CPU 3.0 GiB, laptop:CUDA0 512.0 MiB",
    ]);
  });

  test("a worker on one node shows no shards", () => {
    const { engine: _engine, shards: _shards, ...single } = worker;
    expect(workerRow(single).slice(3)).toEqual(["cpu:0", "idle", "0/1", "—", "—"]);
  });

  test("against the queen: no workers, the usual hint", async () => {
    const run = await keeper("workers", "list");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("No workers running");
  });
});
