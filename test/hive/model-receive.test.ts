// The hive's end of a node-to-node copy and its removals, on a real models folder.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { RbeeError } from "../../src/shared/contract/index.js";
import { inventory } from "../../src/hive/models/model-inventory.js";
import { receive, startReceive } from "../../src/hive/models/model-receive.js";
import { removeModel } from "../../src/hive/models/model-remove.js";
import { ModelStore } from "../../src/hive/models/model-store.js";

let dir: string;
let store: ModelStore;
const file = randomBytes(300_000);
const sha256 = createHash("sha256").update(file).digest("hex");
const ref = "hf:org/repo/m.gguf";
const request = { model_ref: ref, file: "hf/org/repo/m.gguf", bytes: file.length, sha256 };
const codeOf = (error: unknown): string => (error instanceof RbeeError ? error.code : String(error));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-receive-"));
  store = new ModelStore(join(dir, "models"), {}, {}, () => "gpu2");
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("receiving a copy", () => {
  test("a copy cut short keeps its partial file; the next one goes on from its size and the file is cataloged with its sha256", async () => {
    expect(await startReceive(store, request)).toEqual({ offset: 0, present: false });
    const cut = await receive(store, { ...request, offset: 0 }, Readable.from([file.subarray(0, 100_000)])).catch(codeOf);
    expect(cut).toBe("COPY_FAILED");
    expect(await startReceive(store, request)).toEqual({ offset: 100_000, present: false });
    const model = await receive(store, { ...request, offset: 100_000 }, Readable.from([file.subarray(100_000)]));
    expect(model).toMatchObject({ model_ref: ref, size_bytes: file.length, sha256 });
    expect((await inventory(store, () => [])).models).toEqual([{ model_ref: ref, file: "hf/org/repo/m.gguf", bytes: file.length, sha256, workers: [] }]);
    expect(await startReceive(store, request)).toEqual({ offset: file.length, present: true });
  });

  test("bytes that do not match the sha256 are deleted, never cataloged", async () => {
    const wrong = Buffer.from(file);
    wrong.writeUInt8(wrong.readUInt8(5) ^ 0xff, 5);
    expect(await receive(store, { ...request, offset: 0 }, Readable.from([wrong])).catch(codeOf)).toBe("COPY_FAILED");
    expect(readdirSync(join(dir, "models"), { recursive: true }).filter((name) => String(name).endsWith(".partial"))).toEqual([]);
    expect(store.list()).toEqual([]);
  });

  test("an offset that is not the partial file's size is refused", async () => {
    expect(await receive(store, { ...request, offset: 10 }, Readable.from([file.subarray(10)])).catch(codeOf)).toBe("COPY_FAILED");
  });
});

describe("removing a model", () => {
  test("refused while a worker has it loaded; then the file, its catalog entry and the empty folders go", async () => {
    await receive(store, { ...request, offset: 0 }, Readable.from([file]));
    const path = join(dir, "models", "hf", "org", "repo", "m.gguf");
    expect(await removeModel(store, () => ["w1"], ref).catch(codeOf)).toBe("MODEL_IN_USE");
    expect(existsSync(path)).toBe(true);
    await removeModel(store, () => [], ref);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(join(dir, "models"))).toEqual(["catalog.json"]);
    expect(store.list()).toEqual([]);
    expect(await removeModel(store, () => [], ref).catch(codeOf)).toBe("MODEL_NOT_FOUND");
  });

  test("a file: model outside the models folder, or through a symbolic link leading out, is never removed", async () => {
    const outside = join(dir, "outside.gguf");
    writeFileSync(outside, "keep");
    expect(await removeModel(store, () => [], `file:${outside}`).catch(codeOf)).toBe("INVALID_REQUEST");
    expect(await removeModel(store, () => [], `file:${join(dir, "models")}/../outside.gguf`).catch(codeOf)).toBe("INVALID_REQUEST");
    mkdirSync(join(dir, "models", "links"), { recursive: true });
    symlinkSync(outside, join(dir, "models", "links", "l.gguf"));
    expect(await removeModel(store, () => [], `file:${join(dir, "models", "links", "l.gguf")}`).catch(codeOf)).toBe("INVALID_REQUEST");
    expect(statSync(outside).size).toBe(4);
  });
});
