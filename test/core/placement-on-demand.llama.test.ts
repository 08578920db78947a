// Spawn on demand follows the placement plan, against a real queen and two real loopback "machines"
// that may each give rbee 60 MiB (RBEE_MEMORY_LIMIT_BYTES through sshd's SetEnv). Two generated
// models are on "main": "small" needs ~101 MiB (more than either node, less than both), so a request
// for it spawns one worker split over both nodes (llama-server on main, rpc-server on side);
// "large" needs ~134 MiB, more than both together, so a request for it fails with NO_CAPACITY and
// the same reason the preview gives.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PlacementPreviewResponse } from "../../src/shared/contract/index.js";
import { jsonClient } from "../helpers/http-client.js";
import { addInstalledNode, postJson } from "../helpers/installed-node.js";
import { startModelFileServer, type ModelFileServer } from "../helpers/model-file-server.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readSseJson } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

const LIMIT_BYTES = 60 * 1024 ** 2;

let dir: string;
let queen: QueenProcess;
let files: ModelFileServer;
const sshds: Sshd[] = [];
let api: ReturnType<typeof jsonClient>;
const refs = { small: "", large: "" };

async function machine(name: string): Promise<Sshd> {
  const home = join(dir, name, "home");
  mkdirSync(home, { recursive: true });
  const sshd = await startSshd({ setEnv: { RBEE_HOME: home, RBEE_MEMORY_LIMIT_BYTES: String(LIMIT_BYTES) } });
  sshds.push(sshd);
  return sshd;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-placement-demand-"));
  // small: 8 blocks, KV 2 KiB per token × 2048; large: 32 blocks, KV 8 KiB per token × 4096 (32 MiB).
  await writeTinyGguf(join(dir, "small.gguf"), { blocks: 8, text: "printable", seed: 4 });
  await writeTinyGguf(join(dir, "large.gguf"), { blocks: 32, contextLength: 4096, text: "printable", seed: 4 });
  files = await startModelFileServer({ "small.gguf": readFileSync(join(dir, "small.gguf")), "large.gguf": readFileSync(join(dir, "large.gguf")) });
  refs.small = `${files.url}/small.gguf`;
  refs.large = `${files.url}/large.gguf`;
  const [main, side] = await Promise.all([machine("main"), machine("side")]);
  queen = await startQueen({ env: { RBEE_WORKER_THREADS: "1", RBEE_NODE_HOME: "" } });
  api = jsonClient(queen.baseUrl, queen.token);
  await addInstalledNode(queen, main, "main", join(dir, "main"));
  await addInstalledNode(queen, side, "side", join(dir, "side"));
  for (const ref of [refs.small, refs.large]) {
    const download = await readSseJson(await postJson(queen, "/v2/models/download", { node_name: "main", model_ref: ref }));
    expect(download.events.at(-1)).toMatchObject({ type: "model", node_name: "main" });
  }
}, 300_000);

afterAll(async () => {
  await queen?.stop();
  await Promise.all(sshds.map((sshd) => sshd.dispose()));
  await files?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function preview(model: string): Promise<PlacementPreviewResponse> {
  const answer = await api.get(`/v2/placement/preview?${new URLSearchParams({ model, backend: "cpu" }).toString()}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return PlacementPreviewResponse.parse(answer.body);
}

describe("spawn on demand follows the placement", () => {
  test("a model too big for both nodes together fails with NO_CAPACITY and the plan's reason", async () => {
    const plan = await preview(refs.large);
    expect(plan.placement, JSON.stringify(plan)).toBeNull();
    const { events } = await readSseJson(await postJson(queen, "/v1/inference", { model: refs.large, prompt: "hello", max_tokens: 4 }));
    expect(events.at(-1)).toEqual({ type: "error", code: "NO_CAPACITY", message: plan.reason });
    expect(plan.reason).toMatch(/^Needs 13\d\.\d MiB; no node has that much free \(most: main, 60\.0 MiB\), and together the nodes that can share it have only 120\.0 MiB free$/);
    expect((await api.get("/v1/workers/list")).body.workers).toEqual([]);
  }, 60_000);

  test("a model that fits no single node is spawned split over both, and answers", async () => {
    const plan = await preview(refs.small);
    expect(plan.placement).toMatchObject({ kind: "split", node_name: "main", shards: [{ node_name: "side" }] });
    const { events } = await readSseJson(await postJson(queen, "/v1/inference", { model: refs.small, prompt: "hello", max_tokens: 4, seed: 1 }));
    expect(events.filter((event) => (event as { type: string }).type === "error")).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: "end", tokens_out: 4 });
    const workers = (await api.get("/v1/workers/list")).body.workers as { node_name: string; model_ref: string; engine?: string; shards?: { node_name: string }[] }[];
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatchObject({ node_name: "main", model_ref: refs.small, engine: "llama-server", shards: [{ node_name: "side" }] });
  }, 240_000);
});
