import { describe, expect, it } from "vitest";
import {
  AddNodeRequest,
  Beehive,
  HeartbeatRequest,
  InferenceRequest,
  HiveCallbackRequest,
  HiveSpawnRequest,
  HiveSpawnStreamEvent,
  HiveStateFile,
  RegisterWorkerRequest,
  SpawnWorkerRequest,
  UpdateWorkerRequest,
  WorkerInfo,
} from "../../src/shared/contract/index.js";

const registration = {
  worker_id: "w-1",
  url: "http://127.0.0.1:9300",
  model_ref: "tinyllama",
  backend: "cpu",
  device: 0,
  slots_total: 2,
  slots_available: 2,
} as const;

describe("requests accept null for optional fields", () => {
  it("takes an inference request with its optional fields null: absent, or their defaults", () => {
    const parsed = InferenceRequest.parse({
      model: "tinyllama",
      prompt: "hi",
      messages: null,
      node: null,
      max_tokens: null,
      temperature: null,
      top_p: null,
      seed: null,
      stop: null,
    });
    expect(parsed).toEqual({ model: "tinyllama", prompt: "hi", max_tokens: 256, temperature: 0.7 });
    expect(InferenceRequest.safeParse({ model: "m", prompt: null, messages: null }).success).toBe(false);
  });

  it("takes back a node as the list answers it (ssh_key_path null) when adding it", () => {
    const row: Beehive = {
      node_name: "gpu",
      ssh_host: "10.0.0.2",
      ssh_port: 22,
      ssh_user: "vince",
      ssh_key_path: null,
      git_repo_url: "https://example.org/rbee.git",
      git_branch: "main",
      install_path: "~/rbee",
      last_connected_unix: null,
      status: "reachable",
      transport: "ssh",
    };
    const { last_connected_unix: _seen, status: _status, ...request } = row;
    const parsed = AddNodeRequest.parse({ ...request, ssh_port: null, git_branch: null, ssh_key_passphrase: null });
    expect(parsed).toMatchObject({ ssh_key_path: undefined, ssh_port: 22, git_branch: "main" });
    // A local node's row, with its empty SSH and git columns, too.
    const local = { ...row, transport: "local" as const, ssh_host: "", ssh_port: 0, ssh_user: "", git_repo_url: "", git_branch: "", install_path: "" };
    const { last_connected_unix: _localSeen, status: _localStatus, ...localRequest } = local;
    expect(AddNodeRequest.parse(localRequest)).toMatchObject({ transport: "local", node_name: "gpu" });
    expect(AddNodeRequest.safeParse({ ...localRequest, ssh_host: "10.0.0.2" }).success).toBe(false);
  });


  it("takes a registration with vram_bytes, node_name and state null, reading them as absent", () => {
    const parsed = RegisterWorkerRequest.parse({ ...registration, vram_bytes: null, node_name: null, state: null });
    expect(parsed.vram_bytes).toBeUndefined();
    expect(parsed.node_name).toBeUndefined();
    expect(parsed.state).toBeUndefined();
    expect(RegisterWorkerRequest.parse({ ...registration, vram_bytes: 1024 }).vram_bytes).toBe(1024);
    expect(RegisterWorkerRequest.safeParse({ ...registration, vram_bytes: -1 }).success).toBe(false);
  });

  it("accepts back what an answer contains: a WorkerInfo with vram_bytes null registers again", () => {
    const { worker_id, ...fields } = registration;
    const { id, ...info } = WorkerInfo.parse({ id: worker_id, ...fields, state: "idle", vram_bytes: null });
    expect(RegisterWorkerRequest.safeParse({ worker_id: id, ...info }).success).toBe(true);
  });

  it("takes null in heartbeats, updates, callbacks and spawns, defaults included", () => {
    expect(HeartbeatRequest.parse({ worker_id: "w-1", slots_available: null })).toEqual({ worker_id: "w-1", slots_available: undefined });
    expect(UpdateWorkerRequest.parse({ worker_id: "w-1", state: null, slots_available: null }).state).toBeUndefined();
    const callback = { callback_url: "http://127.0.0.1:1/", token: "t".repeat(16), node_name: null };
    expect(HiveCallbackRequest.parse(callback).node_name).toBeUndefined();
    const spawn = HiveSpawnRequest.parse({
      model_ref: "tinyllama",
      backend: null,
      device: null,
      slots: null,
      ctx: null,
      threads: null,
      ttl_s: null,
      worker_id: null,
      callback_token: null,
    });
    expect(spawn).toMatchObject({ backend: "cpu", device: 0 });
    expect(spawn.slots ?? spawn.ctx ?? spawn.threads ?? spawn.ttl_s ?? spawn.worker_id ?? spawn.callback_token).toBeUndefined();
    expect(SpawnWorkerRequest.parse({ node_name: "n", model_ref: "m", backend: null, device: null, slots: null, ctx: null })).toEqual({
      node_name: "n",
      model_ref: "m",
      backend: "cpu",
      device: 0,
      slots: undefined,
      ctx: undefined,
    });
    // Absent is still absent, and wrong types are still wrong.
    expect(HiveSpawnRequest.parse({ model_ref: "m" })).toEqual({ model_ref: "m", backend: "cpu", device: 0 });
    expect(HiveSpawnRequest.safeParse({ model_ref: "m", slots: "2" }).success).toBe(false);
  });
});

describe("hive.json", () => {
  it("round-trips through its schema as one line of JSON", () => {
    const state = { pid: 4242, port: 9200, url: "http://127.0.0.1:9200", version: "0.1.0", node_name: "gpu-1" } satisfies HiveStateFile;
    const line = JSON.stringify(HiveStateFile.parse(state));
    expect(line).not.toContain("\n");
    expect(line).toContain('"pid":4242');
    expect(HiveStateFile.parse(JSON.parse(line))).toEqual(state);
  });

  it("reads a hive that recorded no node name, and refuses a broken file", () => {
    expect(HiveStateFile.parse({ pid: 1, port: 2, url: "http://127.0.0.1:2", version: "0.0.9" }).node_name).toBeUndefined();
    expect(HiveStateFile.parse({ pid: 1, port: 2, url: "http://127.0.0.1:2", version: "0.1.0", node_name: null }).node_name).toBeNull();
    expect(HiveStateFile.safeParse({ pid: "1", port: 2, url: "u", version: "v" }).success).toBe(false);
  });
});

describe("the hive's spawn stream", () => {
  it("is one union of progress, spawned, ready and error", () => {
    const worker = {
      id: "w-1",
      pid: 7,
      url: "http://127.0.0.1:9300",
      model_ref: "m",
      backend: "cpu",
      device: 0,
      state: "idle",
      slots_total: 1,
      slots_available: 1,
    };
    const events = [
      { type: "progress", stage: "download", message: "downloading m", bytes: 1 },
      { type: "spawned", worker_id: "w-1", url: worker.url, pid: 7, state: "loading", token: "t" },
      { type: "ready", worker },
      { type: "error", code: "WORKER_FAILED", message: "no" },
    ];
    expect(events.map((event) => HiveSpawnStreamEvent.parse(event).type)).toEqual(["progress", "spawned", "ready", "error"]);
    expect(HiveSpawnStreamEvent.safeParse({ type: "token", t: "x", i: 0 }).success).toBe(false);
  });
});
