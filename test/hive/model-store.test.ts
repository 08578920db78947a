import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DownloadProgress } from "../../src/hive/models/download.js";
import { ModelStore } from "../../src/hive/models/model-store.js";
import { RbeeError } from "../../src/shared/contract/index.js";
import { buildTinyGguf } from "../helpers/tiny-gguf.js";
import { ModelServer } from "./fixtures/model-server.js";

// The generated test model, served as the hub would serve a real one.
const BODY = buildTinyGguf({ seed: 11 });
const SHA = createHash("sha256").update(BODY).digest("hex");

let server: ModelServer;
let cdn: ModelServer | undefined;
let dir: string;
let store: ModelStore;

beforeEach(async () => {
  server = new ModelServer();
  const endpoint = await server.start();
  dir = await mkdtemp(join(tmpdir(), "rbee-models-"));
  store = new ModelStore(dir, { RBEE_HF_ENDPOINT: endpoint, HF_TOKEN: "hf_test" }, { retries: 2 });
});

afterEach(async () => {
  await server.stop();
  await cdn?.stop();
  cdn = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe("ModelStore", () => {
  it("downloads an hf: model with progress, verifies it and lists it", async () => {
    // The hub redirects to a CDN on another origin, as the real one does.
    cdn = new ModelServer();
    server.cdnBase = await cdn.start();
    server.serve("m.gguf", { body: BODY });
    cdn.serve("m.gguf", { body: BODY });
    const progress: DownloadProgress[] = [];
    const model = await store.provision("hf:org/repo/m.gguf", (p) => progress.push(p));

    expect(model).toMatchObject({ model_ref: "hf:org/repo/m.gguf", size_bytes: BODY.length, sha256: SHA, downloaded: true });
    expect(model.path).toBe(join(dir, "hf", "org", "repo", "m.gguf"));
    expect((await readFile(model.path)).equals(BODY)).toBe(true);
    expect(progress.at(-1)).toEqual({ bytes: BODY.length, bytes_total: BODY.length });
    expect(progress[0]).toEqual({ bytes: 0 }); // at once, before the server answers
    expect(progress.slice(1).every((p) => p.bytes_total === BODY.length)).toBe(true);
    // The token goes to the hub, never to the host it redirects to.
    expect(server.requests[0]?.authorization).toBe("Bearer hf_test");
    expect(cdn.bodyRequests("m.gguf")).toHaveLength(1);
    expect(cdn.bodyRequests("m.gguf")[0]?.authorization).toBeUndefined();
    expect(store.list()).toEqual([{ model_ref: "hf:org/repo/m.gguf", path: model.path, size_bytes: BODY.length, sha256: SHA }]);

    // Present now: no second download, and a fresh store reads the catalog from disk.
    const again = await new ModelStore(dir, { RBEE_HF_ENDPOINT: server.url }).provision("hf:org/repo/m.gguf");
    expect(again.downloaded).toBe(false);
    expect(cdn.bodyRequests("m.gguf")).toHaveLength(1);
  });

  it("resumes with Range after the server cuts the connection halfway", async () => {
    server.serve("m.gguf", { body: BODY, cutFirst: 1 });
    const model = await store.provision(`${server.url}/cdn/m.gguf`);

    const requests = server.bodyRequests("m.gguf");
    expect(requests).toHaveLength(2);
    expect(requests[0]?.range).toBeUndefined();
    // It asks for the rest from where the received bytes end (at most the half the server sent).
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1]?.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(BODY.length / 2);
    expect(model.sha256).toBe(SHA);
    expect((await readFile(model.path)).equals(BODY)).toBe(true);
    expect((await filesUnder(dir)).filter((name) => name.endsWith(".partial"))).toEqual([]);
  });

  it("rejects a file whose sha256 does not match and leaves no file behind", async () => {
    server.serve("m.gguf", { body: BODY, linkedSha256: "0".repeat(64) });
    const error = await store.provision("hf:org/repo/m.gguf").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RbeeError);
    expect((error as RbeeError).code).toBe("DOWNLOAD_FAILED");
    expect((error as RbeeError).message).toMatch(/sha256 mismatch/);
    expect((await filesUnder(dir)).filter((name) => name.endsWith(".gguf") || name.endsWith(".partial"))).toEqual([]);
    expect(store.list()).toEqual([]);
  });

  it("shares one download between concurrent requests for the same model", async () => {
    let release!: () => void;
    server.serve("m.gguf", { body: BODY, gate: new Promise<void>((resolve) => (release = resolve)) });
    const seen = [false, false];
    const first = store.provision("hf:org/repo/m.gguf", () => {
      seen[0] = true;
      if (seen[1]) release();
    });
    const second = store.provision("hf:org/repo/m.gguf", () => {
      seen[1] = true;
      if (seen[0]) release();
    });
    const [a, b] = await Promise.all([first, second]);

    expect(a.path).toBe(b.path);
    expect(server.bodyRequests("m.gguf")).toHaveLength(1);
  });

  it("refuses a download the disk cannot hold, before fetching the body", async () => {
    server.serve("m.gguf", { body: BODY });
    const tight = new ModelStore(dir, { RBEE_HF_ENDPOINT: server.url }, { freeBytes: async () => 1000 });
    const error = await tight.provision("hf:org/repo/m.gguf").catch((e: unknown) => e);

    expect((error as RbeeError).code).toBe("NO_CAPACITY");
    expect((error as RbeeError).message).toMatch(/disk space/);
    expect(existsSync(join(dir, "hf", "org", "repo", "m.gguf"))).toBe(false);
  });

  it("answers MODEL_NOT_FOUND for a missing remote or local file", async () => {
    expect(await store.provision("hf:org/repo/absent.gguf").catch((e: RbeeError) => e.code)).toBe("MODEL_NOT_FOUND");
    expect(await store.provision(`file:${join(dir, "absent.gguf")}`).catch((e: RbeeError) => e.code)).toBe("MODEL_NOT_FOUND");
  });
});
