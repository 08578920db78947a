import { describe, expect, it } from "vitest";
import { RbeeError } from "../../src/shared/contract/index.js";
import { modelSource } from "../../src/hive/models/model-source.js";

function errorOf(fn: () => unknown): RbeeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RbeeError) return error;
    throw error;
  }
  throw new Error("expected an RbeeError");
}

describe("modelSource", () => {
  it("maps hf: references to the hub's resolve URL, with HF_TOKEN as bearer", () => {
    const source = modelSource("hf:TheBloke/Some-GGUF/model.Q4_K_M.gguf", { HF_TOKEN: "hf_secret" });
    expect(source).toMatchObject({
      kind: "remote",
      canonical: "hf:TheBloke/Some-GGUF/model.Q4_K_M.gguf",
      url: "https://huggingface.co/TheBloke/Some-GGUF/resolve/main/model.Q4_K_M.gguf",
      headers: { authorization: "Bearer hf_secret" },
      storePath: "hf/TheBloke/Some-GGUF/model.Q4_K_M.gguf",
    });
  });

  it("honours RBEE_HF_ENDPOINT and files in sub-folders", () => {
    const source = modelSource("hf:org/repo/q4/m.gguf", { RBEE_HF_ENDPOINT: "http://127.0.0.1:8123/" });
    expect(source).toMatchObject({ url: "http://127.0.0.1:8123/org/repo/resolve/main/q4/m.gguf", headers: {} });
  });

  it("resolves catalog aliases to their hub reference", () => {
    const source = modelSource("tinyllama", {});
    expect(source.kind).toBe("remote");
    if (source.kind !== "remote") return;
    expect(source.ref).toBe("tinyllama");
    expect(source.canonical).toMatch(/^hf:TheBloke\/TinyLlama-1\.1B-Chat-v1\.0-GGUF\/tinyllama-1\.1b-chat-v1\.0\.Q4_K_M\.gguf$/);
    expect(source.url).toBe(
      "https://huggingface.co/TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/resolve/main/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf",
    );
  });

  it("accepts https URLs and file: paths", () => {
    expect(modelSource("https://example.org/models/x.gguf", {})).toMatchObject({ kind: "remote", url: "https://example.org/models/x.gguf" });
    expect(modelSource("file:/opt/models/x.gguf", {})).toEqual({ kind: "local", ref: "file:/opt/models/x.gguf", path: "/opt/models/x.gguf" });
    expect(modelSource("file:///opt/models/x.gguf", {})).toMatchObject({ kind: "local", path: "/opt/models/x.gguf" });
  });

  it("allows plain http only on loopback", () => {
    expect(modelSource("http://127.0.0.1:9000/x.gguf", {}).kind).toBe("remote");
    expect(modelSource("http://[::1]:9000/x.gguf", {}).kind).toBe("remote");
    const error = errorOf(() => modelSource("http://example.org/x.gguf", {}));
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toMatch(/plain http/);
    expect(errorOf(() => modelSource("hf:a/b/c.gguf", { RBEE_HF_ENDPOINT: "http://mirror.example/" })).code).toBe("INVALID_REQUEST");
  });

  it.each([
    ["hf:org/model.gguf", /hf:<org>\/<repo>\/<file>\.gguf/],
    ["hf:org/repo/../x.gguf", /not a valid path segment/],
    ["hf:org/repo/readme.md", /\.gguf/],
    ["https://example.org/x.bin", /\.gguf/],
    ["https://user:pw@example.org/x.gguf", /credentials/],
    ["file:relative.gguf", /absolute/],
    ["file:/etc/passwd", /\.gguf/],
    ["ftp://example.org/x.gguf", /hf:, https:, file:/],
  ])("rejects %s with INVALID_REQUEST", (ref, message) => {
    const error = errorOf(() => modelSource(ref, {}));
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toMatch(message);
  });

  it("answers MODEL_NOT_FOUND for an unknown alias, naming the known ones", () => {
    const error = errorOf(() => modelSource("gpt-17", {}));
    expect(error.code).toBe("MODEL_NOT_FOUND");
    expect(error.message).toMatch(/tinyllama/);
  });
});
