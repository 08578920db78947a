import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTinyGguf, writeTinyGguf } from "./tiny-gguf.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rbee-tiny-gguf-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("tiny GGUF generator", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    expect(buildTinyGguf({ seed: 3 }).equals(buildTinyGguf({ seed: 3 }))).toBe(true);
    expect(buildTinyGguf({ seed: 3 }).equals(buildTinyGguf({ seed: 4 }))).toBe(false);
  });

  it("writes a llama GGUF v3 with the requested shape", async () => {
    const path = join(dir, "shape.gguf");
    await writeTinyGguf(path, { seed: 1, contextLength: 256, embedding: 32, blocks: 3 });
    const info = await readGgufFileInfo(path);
    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe("llama");
    expect(info.architectureMetadata).toMatchObject({ context_length: 256, embedding_length: 32, block_count: 3 });
    expect(info.metadata.tokenizer.ggml.tokens).toHaveLength(3 + 256 + 1);
    expect(info.tensorInfo?.map((tensor) => tensor.name)).toContain("blk.2.ffn_down.weight");
    expect((await stat(path)).size).toBeLessThan(1024 * 1024);
  });
});
