// Models across the fleet on two "machines" (two loopback sshd, each with its own node home): a real
// queen, two installed nodes, real workers on generated models, a loopback model file server.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ListModelsResponse, ModelStreamEvent, QueenEvent, type ModelTransfer, type NodeModels, type StreamEvent } from "../../src/shared/contract/index.js";
import { jsonClient } from "../helpers/http-client.js";
import { postJson } from "../helpers/installed-node.js";
import { startModelFileServer, type ModelFileServer } from "../helpers/model-file-server.js";
import { readSseJson, sseMessages } from "../helpers/sse.js";
import { buildTinyGguf } from "../helpers/tiny-gguf.js";
import { startTwoMachines, type TwoMachines } from "../helpers/two-machines.js";
import { until } from "../helpers/until.js";

let dir: string;
let fleet: TwoMachines;
let files: ModelFileServer;
/** Paced: 32 KiB every 250 ms, so that a download runs long enough to leave, watch and cancel. */
let slow: ModelFileServer;
const slowFile = randomBytes(512 * 1024);
const tiny = buildTinyGguf({ seed: 3 });
const copied = randomBytes(1024 * 1024);
const fallback = buildTinyGguf({ seed: 4 });
// 8 MiB at the queen's copy cap of 4 MiB/s: a copy takes about 2 s, long enough to break it half-way.
const big = randomBytes(8 * 1024 * 1024);
const COPY_CAP = 4 * 1024 * 1024;
const sha = (buffer: Buffer): string => createHash("sha256").update(buffer).digest("hex");
const url = (name: string): string => `${files.url}/${name}`;
const requestsFor = (name: string) => files.requests.filter((request) => request.path === `/${name}`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-fleet-models-"));
  files = await startModelFileServer({ "tiny.gguf": tiny, "copied.gguf": copied, "big.gguf": big, "fallback.gguf": fallback });
  slow = await startModelFileServer({ "slow.gguf": slowFile }, { stepBytes: 32 * 1024, stepMs: 250 });
  // "north" has the files; "east" sorts first, so a placement that ignored where files are would pick it.
  fleet = await startTwoMachines(dir, ["north", "east"], { RBEE_COPY_MAX_BYTES_PER_S: String(COPY_CAP) });
}, 400_000);

afterAll(async () => {
  await fleet?.dispose();
  await files?.stop();
  await slow?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function api() {
  return jsonClient(fleet.queen.baseUrl, fleet.queen.token);
}

async function list(): Promise<Map<string, NodeModels>> {
  const { status, body } = await api().get("/v2/models/list");
  expect(status).toBe(200);
  return new Map(ListModelsResponse.parse(body).nodes.map((node) => [node.node_name, node]));
}

async function stream(path: string, body: unknown, onEvent?: (event: ModelStreamEvent) => void): Promise<ModelStreamEvent[]> {
  const response = await postJson(fleet.queen, path, body);
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
  const { events, done } = await readSseJson(response, (raw) => onEvent?.(ModelStreamEvent.parse(raw)));
  expect(done).toBe(true);
  return events.map((event) => ModelStreamEvent.parse(event));
}

async function infer(body: Record<string, unknown>): Promise<StreamEvent[]> {
  const response = await postJson(fleet.queen, "/v1/inference", { prompt: "hi", max_tokens: 2, ...body });
  return (await readSseJson(response)).events as StreamEvent[];
}

function partials(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".partial"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The `downloads` snapshots of /v1/events as they arrive, until `stop`. */
function watchDownloads(): { readonly snapshots: ModelTransfer[][]; stop(): void } {
  const abort = new AbortController();
  const snapshots: ModelTransfer[][] = [];
  void (async () => {
    const response = await fetch(`${fleet.queen.baseUrl}/v1/events`, { headers: { authorization: `Bearer ${fleet.queen.token}` }, signal: abort.signal });
    for await (const message of sseMessages(response.body!)) {
      const event = QueenEvent.parse(JSON.parse(message.data));
      if (event.type === "downloads") snapshots.push(event.downloads);
    }
  })().catch(() => undefined);
  return { snapshots, stop: () => abort.abort() };
}

describe("models across two machines", () => {
  test("a download to north streams progress; the list shows it on north only, with its size and sha256", async () => {
    const events = await stream("/v2/models/download", { node_name: "north", model_ref: url("tiny.gguf") });
    expect(events.some((event) => event.type === "progress" && event.stage === "download" && event.bytes !== undefined)).toBe(true);
    const last = events.at(-1);
    expect(last).toMatchObject({ type: "model", node_name: "north", model: { bytes: tiny.length, sha256: sha(tiny) } });

    const nodes = await list();
    expect(nodes.get("north")?.models.map((model) => [model.model_ref, model.bytes, model.sha256])).toEqual([[url("tiny.gguf"), tiny.length, sha(tiny)]]);
    expect(nodes.get("north")?.disk_free_bytes).toBeGreaterThan(0);
    expect(nodes.get("east")?.models).toEqual([]);
    expect(existsSync(join(fleet.a.models, ...(nodes.get("north")!.models[0]!.file.split("/"))))).toBe(true);
    // The client APIs' model lists name it too, and where it is.
    const openAi = await api().get("/v1/models");
    expect((openAi.body as { data: { id: string; rbee: { nodes: string[] } }[] }).data.find((model) => model.id === url("tiny.gguf"))).toMatchObject({ rbee: { workers: 0, nodes: ["north"] } });
  });

  test("a request for a model no worker serves goes to the node that has its file", async () => {
    const events = await infer({ model: url("tiny.gguf") });
    const started = events.find((event) => event.type === "started");
    expect(started, JSON.stringify(events.slice(-3))).toMatchObject({ node_name: "north" });
    expect(events.some((event) => event.type === "progress" && (event.stage === "copy" || event.stage === "download"))).toBe(false);
  });

  test("pinned to east, which lacks the file, east gets it by copy from north, not by download", async () => {
    const downloads = requestsFor("tiny.gguf").length;
    const events = await infer({ model: url("tiny.gguf"), node: "east" });
    expect(events.find((event) => event.type === "started"), JSON.stringify(events.slice(-3))).toMatchObject({ node_name: "east" });
    expect(events.some((event) => event.type === "progress" && event.stage === "copy" && event.bytes === tiny.length)).toBe(true);
    expect(requestsFor("tiny.gguf").length).toBe(downloads);
    expect((await list()).get("east")?.models.map((model) => model.sha256)).toEqual([sha(tiny)]);
  });

  test("when the copy for a spawn fails, the node downloads the model instead and the stream says so", async () => {
    const downloaded = await stream("/v2/models/download", { node_name: "north", model_ref: url("fallback.gguf") });
    const onNorth = (downloaded.at(-1) as { model: { file: string } }).model.file;
    // The same size, other bytes: north's catalog still vouches for it, the copy's sha256 check will not.
    writeFileSync(join(fleet.a.models, ...onNorth.split("/")), randomBytes(fallback.length));
    const downloads = requestsFor("fallback.gguf").length;
    const events = await infer({ model: url("fallback.gguf"), node: "east" });
    expect(events.find((event) => event.type === "started"), JSON.stringify(events.slice(-3))).toMatchObject({ node_name: "east" });
    const stages = events.filter((event) => event.type === "progress").map((event) => event.stage);
    expect(stages.indexOf("copy")).toBeGreaterThanOrEqual(0);
    expect(stages.lastIndexOf("download")).toBeGreaterThan(stages.indexOf("copy"));
    expect(events.some((event) => event.type === "progress" && /failed .*downloading it instead/.test(event.message))).toBe(true);
    expect(requestsFor("fallback.gguf").length).toBe(downloads + 1);
  });

  test("removing a model a worker uses is refused with 409 MODEL_IN_USE; once the worker stops it is removed and its disk freed", async () => {
    const body = { node_name: "north", model_ref: url("tiny.gguf") };
    const inUse = await api().post("/v2/models/remove", body);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.code).toBe("MODEL_IN_USE");
    const model = (await list()).get("north")!.models.find((entry) => entry.model_ref === url("tiny.gguf"))!;
    const path = join(fleet.a.models, ...model.file.split("/"));
    expect(model.workers.length).toBe(1);
    expect(existsSync(path)).toBe(true);

    const workers = (await api().get("/v1/workers/list")).body.workers as { id: string; node_name: string }[];
    for (const worker of workers.filter((w) => w.node_name === "north")) expect((await api().delete(`/v1/workers/${worker.id}`)).status).toBe(204);
    // The worker's process may take a moment to exit after its removal: the hive refuses until then.
    let removed = await api().post("/v2/models/remove", body);
    for (const deadline = Date.now() + 10_000; removed.status === 409 && Date.now() < deadline; ) removed = await api().post("/v2/models/remove", body);
    expect(removed).toEqual({ status: 200, body: { removed: true } });
    expect(existsSync(path)).toBe(false);
    // Its folder went with it (it held nothing else).
    expect(existsSync(dirname(path))).toBe(false);
    expect((await list()).get("north")?.models.map((entry) => entry.model_ref)).not.toContain(url("tiny.gguf"));
    expect((await api().post("/v2/models/remove", body)).body.error.code).toBe("MODEL_NOT_FOUND");
  });

  test("a copy from north to east streams progress, arrives with the same sha256, and east lists it; nothing is downloaded again", async () => {
    await stream("/v2/models/download", { node_name: "north", model_ref: url("copied.gguf") });
    expect(requestsFor("copied.gguf").length).toBe(1);
    const events = await stream("/v2/models/copy", { model_ref: url("copied.gguf"), from_node: "north", to_node: "east" });
    const progress = events.filter((event) => event.type === "progress" && event.stage === "copy");
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ bytes: copied.length, bytes_total: copied.length });
    expect(events.at(-1)).toMatchObject({ type: "model", node_name: "east", model: { model_ref: url("copied.gguf"), sha256: sha(copied), bytes: copied.length } });
    const nodes = await list();
    const onNorth = nodes.get("north")?.models.find((model) => model.model_ref === url("copied.gguf"));
    const onEast = nodes.get("east")?.models.find((model) => model.model_ref === url("copied.gguf"));
    expect(onEast?.sha256).toBe(onNorth?.sha256);
    expect(onEast?.file).toBe(onNorth?.file);
    expect(requestsFor("copied.gguf").length).toBe(1);
  });

  test("a copy broken half-way (the sshd processes serving east's connection killed) resumes from east's partial file, same sha256", async () => {
    await stream("/v2/models/download", { node_name: "north", model_ref: url("big.gguf") });
    const body = { model_ref: url("big.gguf"), from_node: "north", to_node: "east" };
    let dropped = 0;
    const broken = await stream("/v2/models/copy", body, (event) => {
      if (event.type === "progress" && (event.bytes ?? 0) >= big.length / 4 && dropped === 0) {
        dropped = fleet.b.sshd.dropSessions();
      }
    });
    expect(dropped).toBeGreaterThan(0);
    expect(broken.at(-1), JSON.stringify(broken.at(-1))).toMatchObject({ type: "error", code: "COPY_FAILED" });
    await until(() => fleet.b.hiveLog().includes(`receive of ${url("big.gguf")} stopped`), "east to notice the broken copy", 15_000);
    const [partial] = partials(fleet.b.models);
    const kept = statSync(partial!).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(big.length);

    const again = await stream("/v2/models/copy", body);
    const first = again.find((event) => event.type === "progress");
    // Fewer bytes the second time: it starts where east's partial file stopped, and north is asked from there.
    expect(first).toMatchObject({ stage: "copy", bytes: kept, message: expect.stringMatching(/^Resuming the copy/) });
    expect(fleet.a.hiveLog()).toContain(`sending ${url("big.gguf")} from byte ${kept}`);
    expect(again.at(-1)).toMatchObject({ type: "model", node_name: "east", model: { sha256: sha(big), bytes: big.length } });
    expect(partials(fleet.b.models)).toEqual([]);
    expect(requestsFor("big.gguf").length).toBe(1);
  });

  test("a download goes on when its client goes away, shows in /v1/events, stops on cancel, and the next one resumes from the partial file", async () => {
    const ref = `${slow.url}/slow.gguf`;
    const body = { node_name: "north", model_ref: ref };
    const feed = watchDownloads();
    const running = (): ModelTransfer | undefined => feed.snapshots.at(-1)?.find((t) => t.node_name === "north" && t.model_ref === ref);
    try {
      const leave = new AbortController();
      const response = await postJson(fleet.queen, "/v2/models/download", body, leave.signal);
      let seen = 0;
      for await (const message of sseMessages(response.body!)) {
        const event = JSON.parse(message.data) as { type: string; bytes?: number };
        if (event.type === "progress" && (event.bytes ?? 0) > 0) {
          seen = event.bytes!;
          break;
        }
      }
      leave.abort();
      // The client is gone; the download still advances, as /v1/events shows.
      await until(() => (running()?.bytes ?? 0) >= seen + 64 * 1024, "the download to go on without its client", 15_000);
      expect(running()).toMatchObject({ kind: "download", bytes_total: slowFile.length });

      expect(await api().post("/v2/models/cancel", body)).toEqual({ status: 200, body: { cancelled: true } });
      await until(() => feed.snapshots.at(-1)?.length === 0, "the downloads list to empty after the cancel", 15_000);
      const [partial] = partials(fleet.a.models);
      const kept = statSync(partial!).size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(slowFile.length);
      expect((await list()).get("north")?.models.some((model) => model.model_ref === ref)).toBe(false);

      const before = slow.requests.length;
      const events = await stream("/v2/models/download", body);
      expect(events.at(-1)).toMatchObject({ type: "model", model: { sha256: sha(slowFile), bytes: slowFile.length } });
      expect(slow.requests.slice(before).map((request) => request.range)).toContain(`bytes=${kept}-`);
    } finally {
      feed.stop();
    }
  });

  test("a model_ref with '..', a path outside the models folder or shell characters is refused on every route; nothing outside is touched", async () => {
    const canary = join(dir, "canary.gguf");
    writeFileSync(canary, "canary");
    const hostile = [
      `file:${fleet.a.models}/../../canary.gguf`,
      `file:${canary}`,
      "tiny$(touch${IFS}pwned)",
      "tiny;touch",
      "a|b",
      "`id`",
      "hf:org/../canary.gguf",
      `${files.url}/../canary.gguf`,
    ];
    const refused = (status: number, body: unknown): void => {
      expect(status, JSON.stringify(body)).toBe(400);
      expect((body as { error: { code: string } }).error.code).toBe("INVALID_REQUEST");
    };
    for (const model_ref of hostile) {
      for (const path of ["/v2/models/download", "/v2/models/cancel", "/v2/models/remove"]) {
        const answer = await api().post(path, { node_name: "north", model_ref });
        refused(answer.status, answer.body);
      }
      const copy = await postJson(fleet.queen, "/v2/models/copy", { model_ref, from_node: "north", to_node: "east" });
      if (copy.status === 200) {
        const { events } = await readSseJson(copy);
        expect(events.at(-1), `${model_ref}: ${JSON.stringify(events)}`).toMatchObject({ type: "error", code: "INVALID_REQUEST" });
      } else {
        refused(copy.status, await copy.json());
      }
    }

    const hive = fleet.a.hive();
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${hive.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${hive.token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    for (const model_ref of hostile) {
      for (const path of ["/v1/models/remove", "/v1/models/cancel"]) expect((await call("POST", path, { model_ref })).status, `${path} ${model_ref}`).toBe(400);
      expect((await call("GET", `/v1/models/file?model_ref=${encodeURIComponent(model_ref)}`)).status, `file ${model_ref}`).toBe(400);
    }
    const into = { model_ref: `file:${fleet.a.models}/x.gguf`, bytes: 6, sha256: sha(Buffer.from("canary")) };
    for (const file of ["../../canary.gguf", "/etc/x.gguf", "a/../../canary.gguf", "x.gguf;touch"]) {
      expect((await call("POST", "/v1/models/receive/start", { ...into, file })).status, file).toBe(400);
      const query = new URLSearchParams({ ...into, bytes: "6", file, offset: "0" });
      const put = await fetch(`${hive.url}/v1/models/receive?${query.toString()}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${hive.token}`, "content-type": "application/octet-stream" },
        body: "canary",
      });
      expect(put.status, file).toBe(400);
    }
    expect(readFileSync(canary, "utf8")).toBe("canary");
    expect(readdirSync(dir).filter((name) => name.includes("pwned") || name === "x.gguf")).toEqual([]);
  });

  test("a node that does not answer is listed with an error within the list's deadline; the others are listed all the same", async () => {
    // Accepts TCP and then says nothing: an SSH handshake there hangs, as with a node gone half-open.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const added = await api().post("/v2/registry/beehives/add?verify=false", {
        node_name: "silent",
        ssh_host: "127.0.0.1",
        ssh_port: (silent.address() as AddressInfo).port,
        ssh_user: "nobody",
        ssh_key_path: fleet.a.sshd.keyPath,
        git_repo_url: "https://example.invalid/rbee.git",
        install_path: "~/rbee",
      });
      expect(added.status).toBe(201);
      const started = Date.now();
      const nodes = await list();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(nodes.get("silent")).toMatchObject({ models: [], error: { code: expect.any(String), message: expect.stringContaining("silent") } });
      expect(nodes.get("north")?.error).toBeUndefined();
      expect(nodes.get("east")?.models.map((model) => model.model_ref)).toContain(url("copied.gguf"));
    } finally {
      await api().post("/v2/registry/beehives/remove", { node_name: "silent" });
      silent.close();
    }
  });
});
