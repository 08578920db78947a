// GET /v2/placement/preview and `rbee-keeper placement` against a real queen and two real loopback
// "machines" (each its own sshd and node home, rbee installed from this project), whose hives are
// told how much memory they may give rbee (RBEE_MEMORY_LIMIT_BYTES through sshd's SetEnv): "big"
// may use 768 MiB, "small" 512 MiB. A tiny generated model, downloaded to "big", fits one node
// with the defaults, and must be split once its context asks for about 1 GiB of KV cache.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PlacementPreviewResponse, type ModelFootprint } from "../../src/shared/contract/index.js";
import { COMPUTE_OVERHEAD_BYTES } from "../../src/core/placement/plan.js";
import { jsonClient } from "../helpers/http-client.js";
import { addInstalledNode, postJson } from "../helpers/installed-node.js";
import { runKeeperBin } from "../helpers/keeper.js";
import { startModelFileServer, type ModelFileServer } from "../helpers/model-file-server.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { readSseJson } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

const MiB = 1024 ** 2;
const LIMITS = { big: 768 * MiB, small: 512 * MiB } as const;
const MODEL_FILE = "placement-tiny.gguf";

let dir: string;
let queen: QueenProcess;
let files: ModelFileServer;
const sshds: Sshd[] = [];
let modelRef: string;
let api: ReturnType<typeof jsonClient>;

async function machine(name: keyof typeof LIMITS): Promise<Sshd> {
  const home = join(dir, name, "home");
  mkdirSync(home, { recursive: true });
  const sshd = await startSshd({ setEnv: { RBEE_HOME: home, RBEE_MEMORY_LIMIT_BYTES: String(LIMITS[name]) } });
  sshds.push(sshd);
  return sshd;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-placement-"));
  const file = join(dir, MODEL_FILE);
  await writeTinyGguf(file, { blocks: 8, text: "printable", seed: 3 });
  files = await startModelFileServer({ [MODEL_FILE]: readFileSync(file) });
  modelRef = `${files.url}/${MODEL_FILE}`;
  const [big, small] = await Promise.all([machine("big"), machine("small")]);
  queen = await startQueen({ env: { RBEE_WORKER_THREADS: "1", RBEE_NODE_HOME: "" } });
  api = jsonClient(queen.baseUrl, queen.token);
  await addInstalledNode(queen, big, "big", join(dir, "big"));
  await addInstalledNode(queen, small, "small", join(dir, "small"));
  const download = await readSseJson(await postJson(queen, "/v2/models/download", { node_name: "big", model_ref: modelRef }));
  expect(download.events.at(-1)).toMatchObject({ type: "model", node_name: "big" });
}, 300_000);

afterAll(async () => {
  await queen?.stop();
  await Promise.all(sshds.map((sshd) => sshd.dispose()));
  await files?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function preview(query: Record<string, string>): Promise<PlacementPreviewResponse> {
  const answer = await api.get(`/v2/placement/preview?${new URLSearchParams(query).toString()}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return PlacementPreviewResponse.parse(answer.body);
}

/** A ctx × slots whose KV cache makes the need about `targetBytes` for this footprint. */
function contextFor(footprint: ModelFootprint, targetBytes: number): { ctx: number; slots: number } {
  const tokens = Math.ceil((targetBytes - footprint.weights_bytes - COMPUTE_OVERHEAD_BYTES) / footprint.kv_bytes_per_token);
  const slots = Math.min(64, Math.max(1, Math.ceil(tokens / 1_048_576)));
  return { ctx: Math.ceil(tokens / slots), slots };
}

describe("placement preview across two machines", () => {
  test("a model that fits one node goes to the node that has its file", async () => {
    const answer = await preview({ model: modelRef });
    console.log(JSON.stringify(answer, null, 2));
    expect(answer.footprint).toMatchObject({ layers: 8 });
    expect(answer.footprint!.kv_bytes_per_token).toBeGreaterThan(0);
    expect(answer.nodes.map((node) => [node.node_name, node.has_model, node.backend])).toEqual([
      ["big", true, "cpu"],
      ["small", false, "cpu"],
    ]);
    for (const node of answer.nodes) {
      expect(node.note).toBeUndefined();
      expect(node.free_bytes).toBeLessThanOrEqual(LIMITS[node.node_name as keyof typeof LIMITS]);
      expect(node.free_bytes).toBeGreaterThan(LIMITS[node.node_name as keyof typeof LIMITS] / 2);
    }
    expect(answer.placement).toEqual({ kind: "single", node_name: "big", backend: "cpu", device: 0, engine: "node-llama-cpp" });
    expect(answer.need_bytes).toBe(answer.footprint!.weights_bytes + answer.footprint!.kv_bytes_per_token * answer.ctx * answer.slots + COMPUTE_OVERHEAD_BYTES);
    expect(answer.reason).toMatch(/^Needs \d+\.\d MiB; big has the file and \d+\.\d MiB free$/);
  }, 30_000);

  test("a context too big for either node is split: big runs llama-server, small holds a shard", async () => {
    const { footprint } = await preview({ model: modelRef });
    const { ctx, slots } = contextFor(footprint!, 1024 * MiB);
    const answer = await preview({ model: modelRef, ctx: String(ctx), slots: String(slots) });
    console.log(JSON.stringify(answer, null, 2));
    expect(answer.nodes.map((node) => node.engines)).toEqual([expect.arrayContaining(["llama-server", "rpc-server"]), expect.arrayContaining(["rpc-server"])]);
    expect(answer.placement).toMatchObject({ kind: "split", node_name: "big", backend: "cpu", shards: [{ node_name: "small", backend: "cpu", device: 0 }] });
    const split = answer.placement as Extract<PlacementPreviewResponse["placement"], { kind: "split" }>;
    const free = Object.fromEntries(answer.nodes.map((node) => [node.node_name, node.free_bytes!]));
    expect(split.bytes + split.shards[0]!.bytes).toBe(answer.need_bytes);
    expect(split.bytes).toBeLessThanOrEqual(free.big!);
    expect(split.shards[0]!.bytes).toBeLessThanOrEqual(free.small!);
    expect(answer.reason).toMatch(/^Needs 1\.0 GiB; no node has that much free \(most: big, \d+\.\d MiB\), so it is split: big \d+\.\d MiB \+ small \d+\.\d MiB$/);
  }, 30_000);

  test("asked about a node without the file, the size still comes from the node that has it", async () => {
    const { footprint } = await preview({ model: modelRef });
    const { ctx, slots } = contextFor(footprint!, 600 * MiB);
    const answer = await preview({ model: modelRef, nodes: "small", ctx: String(ctx), slots: String(slots) });
    expect(answer.nodes.map((node) => [node.node_name, node.has_model])).toEqual([["small", false]]);
    expect(answer.footprint).toEqual(footprint);
    expect(answer.placement).toBeNull();
    expect(answer.reason).toMatch(/^Needs 600\.0 MiB; /);
  }, 30_000);

  test("a model too big for both together fits nowhere, and says so", async () => {
    const { footprint } = await preview({ model: modelRef });
    const { ctx, slots } = contextFor(footprint!, 4096 * MiB);
    const answer = await preview({ model: modelRef, ctx: String(ctx), slots: String(slots) });
    expect(answer.placement).toBeNull();
    expect(answer.reason).toMatch(/^Needs 4\.0 GiB; no node has that much free \(most: big, \d+\.\d MiB\), and together the nodes that can share it have only 1\.\d GiB free$/);
  }, 30_000);

  test("a bad model is a 400 with a field error on `model`", async () => {
    for (const model of ["two words", "ftp:nope", "no-such-alias"]) {
      const answer = await api.get(`/v2/placement/preview?${new URLSearchParams({ model }).toString()}`);
      expect(answer.status, model).toBe(400);
      expect(answer.body.error.code).toBe("INVALID_REQUEST");
      expect(answer.body.error.details.map((detail: { field: string }) => detail.field)).toContain("model");
    }
    const unknownNode = await api.get(`/v2/placement/preview?${new URLSearchParams({ model: modelRef, nodes: "big,nobody" }).toString()}`);
    expect(unknownNode.status).toBe(404);
    expect(unknownNode.body.error.code).toBe("NODE_NOT_FOUND");
  });

  test("rbee-keeper placement prints the reason, the placement and each node", async () => {
    const env = { RBEE_HOME: queen.home, RBEE_TOKEN: "", RBEE_QUEEN_URL: queen.baseUrl };
    const fits = await runKeeperBin(["placement", "--model", modelRef], env);
    console.log(fits.stdout);
    expect(fits.code, fits.stderr).toBe(0);
    const lines = fits.stdout.split("\n");
    expect(lines[0]).toMatch(/^Needs \d+\.\d MiB; big has the file and \d+\.\d MiB free$/);
    expect(lines[1]).toBe("Placement: big alone (cpu device 0, node-llama-cpp)");
    expect(lines[2]).toMatch(/^Model: \d+\.\d [KM]iB of weights, 8 layers, KV cache \d+\.\d KiB per token; ctx \d+ × 1 slot; needs \d+\.\d MiB$/);
    expect(lines[4]).toMatch(/^NODE\s+FREE\s+BACKEND\s+HAS FILE\s+ENGINES\s+NOTE$/);
    expect(lines[5]).toMatch(/^big\s+\d+\.\d MiB\s+cpu\s+yes\s+node-llama-cpp,llama-server,rpc-server$/);
    expect(lines[6]).toMatch(/^small\s+\d+\.\d MiB\s+cpu\s+no\s+\S*rpc-server$/);

    const { footprint } = await preview({ model: modelRef });
    const { ctx, slots } = contextFor(footprint!, 1024 * MiB);
    const split = await runKeeperBin(["placement", "--model", modelRef, "--ctx", String(ctx), "--slots", String(slots)], env);
    console.log(split.stdout);
    expect(split.code, split.stderr).toBe(0);
    expect(split.stdout.split("\n")[1]).toMatch(/^Placement: split: big \d+\.\d MiB \(cpu, llama-server\) \+ small \d+\.\d MiB \(cpu device 0, rpc-server\)$/);

    const nowhere = await runKeeperBin(["placement", "--model", modelRef, "--ctx", "1048576", "--slots", "64"], env);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stdout.split("\n")[1]).toBe("Placement: none (it fits nowhere now)");

    const bad = await runKeeperBin(["placement", "--model", "two words"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/model/);
    expect((await runKeeperBin(["placement", "--model", modelRef, "--ctx", "lots"], env)).stderr).toMatch(/--ctx must be a whole number, not "lots"/);
  }, 60_000);

  test("a node that hangs is listed with a note, and the answer still comes within 3 s", async () => {
    // A TCP port that accepts and never speaks SSH: the node's connection hangs.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const added = await api.post("/v2/registry/beehives/add?verify=false", {
        node_name: "hang",
        ssh_host: "127.0.0.1",
        ssh_port: port,
        // A real key and user, so that the connection gets as far as waiting for the server's greeting.
        ssh_user: sshds[0]!.user,
        ssh_key_path: sshds[0]!.keyPath,
        git_repo_url: "file:///nonexistent/rbee.git",
        install_path: join(dir, "hang", "rbee"),
      });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      const started = Date.now();
      const answer = await preview({ model: modelRef });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(answer.placement).toMatchObject({ kind: "single", node_name: "big" });
      const hang = answer.nodes.find((node) => node.node_name === "hang");
      console.log(JSON.stringify(hang));
      expect(hang).toMatchObject({ free_bytes: null, note: "did not answer within 2.5 s" });
    } finally {
      await api.post("/v2/registry/beehives/remove", { node_name: "hang" });
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 30_000);
});
