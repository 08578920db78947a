import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HiveDevices,
  HiveEngineBuildStreamEvent,
  HiveRpcServer,
  HiveRpcServersResponse,
  HiveSpawnStreamEvent,
  ModelFootprint,
} from "../../src/shared/contract/index.js";
import { findLlamaProgram } from "../../src/node-common/llama-cpp-binaries.js";
import { findOnPath } from "../../src/hive/gpu/find-on-path.js";
import { WorkerPidFile } from "../../src/hive/orphan-reaper.js";
import { listeningSockets } from "../helpers/listening-sockets.js";
import { spawnProcess } from "../helpers/process.js";
import { alive } from "../helpers/process-tree.js";
import { readSseJson } from "../helpers/sse.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { startHiveProcess, until, type HiveProcess } from "./fixtures/hive-process.js";

const HIVE_TOKEN = "hive-token-0123456789abcdef";
type AnyEvent = { type: string; [key: string]: any };

const rpcProgram = findLlamaProgram("rpc-server", "cpu");
const llamaServer = findLlamaProgram("llama-server", "cpu");

let dir: string;
let home: string;
let modelPath: string;
let hive: HiveProcess;

function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((part) => part !== "");
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startRpc(target: HiveProcess = hive, body: Record<string, unknown> = { threads: 1 }): Promise<HiveRpcServer> {
  const { status, body: answer } = await target.json("/v1/rpc/start", body);
  expect(status, JSON.stringify(answer)).toBe(201);
  return HiveRpcServer.parse(answer);
}

async function listed(target: HiveProcess = hive): Promise<HiveRpcServer[]> {
  return HiveRpcServersResponse.parse((await target.json("/v1/rpc/list")).body).servers;
}

beforeAll(async () => {
  if (!rpcProgram || !llamaServer) {
    throw new Error("ggml-rpc-server and llama-server are not built here: run `bash scripts/build-llama.sh` (about 12 minutes on 2 cores) and run this test again");
  }
  dir = await mkdtemp(join(tmpdir(), "rbee-rpc-"));
  home = join(dir, "home");
  await mkdir(join(home, "models"), { recursive: true });
  modelPath = join(home, "models", "tiny8.gguf");
  await writeTinyGguf(modelPath, { blocks: 8, text: "printable" });
  hive = await startHiveProcess({ home, token: HIVE_TOKEN });
}, 60_000);

afterAll(async () => {
  await hive?.process.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("rpc-servers of a hive", () => {
  it("lists every engine as ready in /v1/devices, with the free RAM", async () => {
    const devices = HiveDevices.parse((await hive.json("/v1/devices")).body);
    expect(devices.engines).toEqual(["node-llama-cpp", "llama-server", "rpc-server"]);
    expect(devices.engine_status?.find((status) => status.engine === "rpc-server")).toMatchObject({ state: "ready", path: rpcProgram!.path, release: "v0.4.0" });
    expect(devices.ram_free_bytes).toBeGreaterThan(0);
  });

  it("starts a real ggml-rpc-server on loopback only, which a real llama-server loads a model onto, and stops it", async () => {
    const server = await startRpc(hive, { threads: 1, worker_id: "w-split" });
    expect(server).toMatchObject({ backend: "cpu", device: 0, device_name: "CPU", buffer_bytes: 0, tensors: 0, worker_id: "w-split" });
    expect(server.total_bytes).toBeGreaterThan(0);
    // What it runs: the loopback address, the threads asked, the device named; and nothing beyond loopback listens.
    const argv = commandLine(server.pid);
    expect(argv.join(" ")).toContain(`-H 127.0.0.1 -p ${server.port} -t 1 -d CPU`);
    expect(listeningSockets([server.pid])).toEqual([{ pid: server.pid, address: "127.0.0.1", port: server.port }]);
    expect((await listed()).map((entry) => entry.id)).toEqual([server.id]);
    await hive.process.waitForLine(new RegExp(`rpc-server ${server.id} \\(pid ${server.pid}\\) listening on 127\\.0\\.0\\.1:${server.port}`), { stream: "stderr" });

    // The shard's rpc-server reports the tensors it holds once a llama-server has loaded the model onto it.
    const port = await freePort();
    const client = spawnProcess(llamaServer!.path, ["-m", modelPath, "--rpc", `127.0.0.1:${server.port}`, "-ngl", "99", "-t", "1", "-c", "512", "--host", "127.0.0.1", "--port", String(port)]);
    try {
      let holding: HiveRpcServer | undefined;
      await until(async () => {
        holding = (await listed())[0];
        return (holding?.tensors ?? 0) >= 74;
      }, "the rpc-server to report the model's 72 block tensors, output_norm and output", 30_000);
      const footprint = ModelFootprint.parse((await hive.json(`/v1/models/info?model_ref=${encodeURIComponent(`file:${modelPath}`)}`)).body);
      expect(holding!.buffer_bytes).toBeGreaterThan(footprint.weights_bytes * 0.9);
    } finally {
      await client.stop();
    }
    // Its client gone, it holds nothing.
    await until(async () => (await listed())[0]?.buffer_bytes === 0, "the rpc-server to free its client's buffers");

    const stopped = await hive.json("/v1/rpc/stop", { id: server.id });
    expect(stopped).toEqual({ status: 200, body: { stopped: true } });
    expect(alive(server.pid)).toBe(false);
    expect(await listed()).toEqual([]);
    expect((await hive.json("/v1/rpc/stop", { id: server.id })).status).toBe(404);
    // Its log is in the hive's logs folder like a worker's, without the per-tensor lines.
    const log = await readFile(join(home, "logs", `worker-${server.id}.log`), "utf8");
    expect(log).toMatch(/out\s+CPU: .*MiB free\)/);
    expect(log).toMatch(/\[alloc_buffer\]/);
    expect(log).not.toMatch(/\[set_tensor\]|\[graph_compute\]/);
  }, 60_000);

  it("drops a server that is killed from the list, saying so in the hive log", async () => {
    const server = await startRpc();
    process.kill(server.pid, "SIGKILL");
    await until(async () => (await listed()).length === 0, "the killed rpc-server to leave the list");
    await hive.process.waitForLine(new RegExp(`rpc-server ${server.id} \\(pid ${server.pid}\\) was killed by SIGKILL`), { stream: "stderr" });
  });

  it("answers a bad request with 400 and a device the node lacks with BACKEND_UNAVAILABLE", async () => {
    const bad = await hive.json("/v1/rpc/start", { threads: 0, host: "0.0.0.0" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_REQUEST");
    const device = await hive.json("/v1/rpc/start", { device: 3 });
    expect(device.status).toBe(503);
    expect(device.body.error).toMatchObject({ code: "BACKEND_UNAVAILABLE", message: expect.stringMatching(/no cpu device 3/) });
    const unauthorized = await hive.fetch("/v1/rpc/list", { headers: { authorization: "Bearer wrong-token-0123456789" } });
    expect(unauthorized.status).toBe(401);
    expect(await listed()).toEqual([]);
  });

  it("gives a model's footprint from its GGUF header, only for files in the models folder", async () => {
    const { status, body } = await hive.json(`/v1/models/info?model_ref=${encodeURIComponent(`file:${modelPath}`)}`);
    expect(status).toBe(200);
    const footprint = ModelFootprint.parse(body);
    // tiny-gguf: 8 blocks, embedding 64, 4 heads and 4 KV heads: 2 × 8 × (64 / 4 × 4) × 2 bytes.
    expect(footprint).toMatchObject({ model_ref: `file:${modelPath}`, layers: 8, context_length: 2048, kv_bytes_per_token: 2 * 8 * 64 * 2 });
    const fileBytes = (await readFile(modelPath)).length;
    expect(footprint.weights_bytes).toBeLessThan(fileBytes);
    expect(footprint.weights_bytes).toBeGreaterThan(fileBytes * 0.8);

    const missing = await hive.json(`/v1/models/info?model_ref=${encodeURIComponent(`file:${join(home, "models", "absent.gguf")}`)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("MODEL_NOT_FOUND");
    const outside = await hive.json(`/v1/models/info?model_ref=${encodeURIComponent(`file:${join(dir, "elsewhere.gguf")}`)}`);
    expect(outside.status).toBe(400);
    expect(outside.body.error.message).toMatch(/inside .*models folder/);
  });

  it("answers a build at once where llama-server is built already", async () => {
    const response = await hive.fetch("/v1/engines/build", { body: {}, headers: { accept: "text/event-stream" } });
    expect(response.status).toBe(200);
    const { events, done } = await readSseJson(response);
    expect(done).toBe(true);
    for (const event of events) HiveEngineBuildStreamEvent.parse(event);
    expect(events).toEqual([{ type: "engine", status: expect.objectContaining({ engine: "llama-server", state: "ready", path: llamaServer!.path }) }]);
    // Without an event stream: the same last event as JSON.
    const plain = await hive.json("/v1/engines/build", { backend: "cpu" });
    expect(plain).toEqual({ status: 200, body: { type: "engine", status: expect.objectContaining({ state: "ready" }) } });
    expect((await hive.json("/v1/engines/build", { backend: "tpu" })).status).toBe(400);
  });

  it("refuses rpc, tensor_split and gpu_layers without engine llama-server", async () => {
    const { status, body } = await hive.json("/v1/workers/spawn", { model_ref: `file:${modelPath}`, rpc: ["127.0.0.1:5000"], gpu_layers: 4 });
    expect(status).toBe(400);
    expect(body.error.details.map((detail: { field: string }) => detail.field)).toEqual(["rpc", "gpu_layers"]);
  });

  it("counts only the share of a split model that stays on the node against its memory", async () => {
    // 1 MiB for rbee: the 1.4 MB model does not fit whole, but with every layer on an rpc-server its main part does.
    const limited = await startHiveProcess({ home: join(dir, "limited"), token: HIVE_TOKEN, env: { RBEE_MEMORY_LIMIT_BYTES: "1048576" } });
    try {
      const spawnEvents = async (body: Record<string, unknown>): Promise<AnyEvent[]> => {
        const response = await limited.fetch("/v1/workers/spawn", { body, headers: { accept: "text/event-stream" } });
        const { events } = await readSseJson(response);
        for (const event of events) HiveSpawnStreamEvent.parse(event);
        return events as AnyEvent[];
      };
      const whole = await spawnEvents({ model_ref: `file:${modelPath}`, engine: "llama-server", threads: 1 });
      expect(whole.at(-1)).toMatchObject({ type: "error", code: "NO_CAPACITY", message: expect.stringMatching(/^Not enough free memory for file:/) });

      const shard = await startRpc(limited);
      const split = await spawnEvents({ model_ref: `file:${modelPath}`, engine: "llama-server", rpc: [`127.0.0.1:${shard.port}`], gpu_layers: 99, threads: 1, ctx: 256 });
      expect(split.find((event) => event.type === "error" && event.code === "NO_CAPACITY")).toBeUndefined();
      expect(split).toContainEqual({ type: "progress", stage: "spawn", message: expect.stringMatching(/\(llama-server, cpu 0, split over 1 rpc-server\)$/) });
      const spawned = split.find((event) => event.type === "spawned");
      if (spawned) await limited.json("/v1/workers/stop", { worker_id: spawned.worker_id });
    } finally {
      await limited.process.stop();
    }
  }, 60_000);

  it("stops its rpc-servers when it stops, and they die with it when it is killed with -9", async () => {
    const second = await startHiveProcess({ home: join(dir, "second"), token: HIVE_TOKEN });
    const servers = [await startRpc(second), await startRpc(second)];
    expect(servers.every((server) => alive(server.pid))).toBe(true);
    second.process.child.kill("SIGTERM");
    expect((await second.process.waitForExit()).code).toBe(0);
    expect(servers.filter((server) => alive(server.pid))).toEqual([]);

    const third = await startHiveProcess({ home: join(dir, "second"), token: HIVE_TOKEN });
    const orphan = await startRpc(third);
    third.process.child.kill("SIGKILL");
    await third.process.waitForExit();
    if (findOnPath("setpriv", process.env.PATH)) {
      // The parent-death signal: nobody needs to clean up.
      await until(() => !alive(orphan.pid), "the rpc-server of a hive killed with -9 to die with it");
    } else {
      // The next hive on the node reaps it from the run file.
      const fourth = await startHiveProcess({ home: join(dir, "second"), token: HIVE_TOKEN });
      try {
        await fourth.process.waitForLine(/rpc-server .* left behind by a hive that died/, { stream: "stderr" });
        await until(() => !alive(orphan.pid), "the orphaned rpc-server to exit");
      } finally {
        await fourth.process.stop();
      }
    }
  }, 60_000);
});

describe("the orphan reaper", () => {
  it("stops the rpc-servers a dead hive's run file lists, checking each one's port first", async () => {
    const reaperHome = join(dir, "reaper");
    await mkdir(join(reaperHome, "run"), { recursive: true });
    const [port, otherPort] = [await freePort(), await freePort()];
    const orphan = spawnProcess(rpcProgram!.path, ["-H", "127.0.0.1", "-p", String(port), "-t", "1", "-d", "CPU"]);
    const bystander = spawnProcess(rpcProgram!.path, ["-H", "127.0.0.1", "-p", String(otherPort), "-t", "1", "-d", "CPU"]);
    try {
      // A pid that no longer runs: the hive that wrote the file.
      const gone = spawnProcess(process.execPath, ["-e", ""]);
      await gone.waitForExit();
      const runFile = {
        hive_pid: gone.pid,
        workers: [],
        // The bystander's pid with another port: a reused pid, which is left alone.
        rpc_servers: [{ id: "rpc-orphan", pid: orphan.pid, port }, { id: "rpc-reused", pid: bystander.pid, port: port + 1 }],
      };
      await writeFile(join(reaperHome, "run", `hive-${gone.pid}.json`), JSON.stringify(runFile));
      const lines: string[] = [];
      expect(await new WorkerPidFile(reaperHome).reapOrphans((line) => lines.push(line))).toBe(1);
      expect(lines).toEqual([`stopping rpc-server rpc-orphan (pid ${orphan.pid}, port ${port}) left behind by a hive that died`]);
      await orphan.waitForExit();
      expect(alive(bystander.pid)).toBe(true);
    } finally {
      await orphan.stop();
      await bystander.stop();
    }
  });
});

describe("a node that cannot run llama.cpp and gives rbee little memory", () => {
  let bare: HiveProcess;

  beforeAll(async () => {
    // A PATH with what the build check needs to run (bash, sed, dirname) but no cmake, compiler or git, and no build in its cache.
    const bin = join(dir, "bare-bin");
    await mkdir(bin);
    for (const tool of ["bash", "sed", "dirname", "nproc"]) {
      const found = findOnPath(tool, process.env.PATH);
      if (found) await symlink(found, join(bin, tool));
    }
    const env: NodeJS.ProcessEnv = { PATH: bin, RBEE_LLAMA_CACHE: join(dir, "empty-cache"), RBEE_MEMORY_LIMIT_BYTES: "1048576" };
    bare = await startHiveProcess({ home: join(dir, "bare"), token: HIVE_TOKEN, env });
  }, 60_000);

  afterAll(async () => {
    await bare?.process.stop();
  });

  it("lists only node-llama-cpp, says what to install, and reports free RAM within RBEE_MEMORY_LIMIT_BYTES", async () => {
    const devices = HiveDevices.parse((await bare.json("/v1/devices")).body);
    expect(devices.engines).toEqual(["node-llama-cpp"]);
    expect(devices.engine_status?.find((status) => status.engine === "llama-server")).toMatchObject({
      state: "unavailable",
      detail: expect.stringMatching(/^cannot build llama\.cpp here: install cmake, a C\+\+ compiler/),
    });
    expect(devices.ram_free_bytes).toBeLessThanOrEqual(1048576);
  });

  it("refuses a model that no longer fits within the limit", async () => {
    const response = await bare.fetch("/v1/workers/spawn", { body: { model_ref: `file:${modelPath}`, threads: 1, ctx: 256 }, headers: { accept: "text/event-stream" } });
    const { events } = await readSseJson(response);
    for (const event of events) HiveSpawnStreamEvent.parse(event);
    expect(events.at(-1)).toMatchObject({ type: "error", code: "NO_CAPACITY", message: expect.stringMatching(/free memory/) });
  });

  it("answers rpc-server start, a build and a llama-server spawn with ENGINE_UNAVAILABLE", async () => {
    const start = await bare.json("/v1/rpc/start", {});
    expect(start.status).toBe(503);
    expect(start.body.error).toMatchObject({ code: "ENGINE_UNAVAILABLE", message: expect.stringMatching(/install cmake/) });

    const build = await bare.fetch("/v1/engines/build", { body: { backend: "cpu" }, headers: { accept: "text/event-stream" } });
    const built = (await readSseJson(build)).events as AnyEvent[];
    expect(built).toEqual([{ type: "error", code: "ENGINE_UNAVAILABLE", message: expect.stringMatching(/install cmake/) }]);

    const spawn = await bare.fetch("/v1/workers/spawn", { body: { model_ref: `file:${modelPath}`, engine: "llama-server" }, headers: { accept: "text/event-stream" } });
    const spawned = (await readSseJson(spawn)).events as AnyEvent[];
    expect(spawned.at(-1)).toMatchObject({ type: "error", code: "ENGINE_UNAVAILABLE" });
  });
});
