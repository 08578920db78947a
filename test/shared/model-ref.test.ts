import { describe, expect, it } from "vitest";
import { RbeeError } from "../../src/shared/contract/index.js";
import { parseModelRef } from "../../src/shared/contract/model-ref.js";

describe("the model_ref grammar", () => {
  const errorOf = (ref: string): RbeeError => {
    try {
      parseModelRef(ref);
    } catch (error) {
      if (error instanceof RbeeError) return error;
      throw error;
    }
    throw new Error(`expected ${ref} to be refused`);
  };

  it("parses hf:, https:, file: and catalog aliases", () => {
    expect(parseModelRef("hf:org/repo/q4/m.gguf")).toEqual({ kind: "hf", ref: "hf:org/repo/q4/m.gguf", canonical: "hf:org/repo/q4/m.gguf", org: "org", repo: "repo", file: ["q4", "m.gguf"] });
    expect(parseModelRef("tinyllama")).toMatchObject({ kind: "hf", ref: "tinyllama", canonical: expect.stringMatching(/^hf:TheBloke\//) });
    expect(parseModelRef("https://example.org/a/x%20y.gguf")).toMatchObject({ kind: "url", fileName: "x y.gguf" });
    expect(parseModelRef("http://[::1]:9000/x.gguf").kind).toBe("url");
    expect(parseModelRef("file:///opt/my%20models/x.gguf")).toEqual({ kind: "file", ref: "file:///opt/my%20models/x.gguf", path: "/opt/my models/x.gguf" });
  });

  it.each([
    ["hf:org/x.gguf", "INVALID_REQUEST"],
    ["http://example.org/x.gguf", "INVALID_REQUEST"],
    ["file://host/x.gguf", "INVALID_REQUEST"],
    ["file:/a%2Fb.gguf", "INVALID_REQUEST"],
    ["file:/etc/passwd", "INVALID_REQUEST"],
    ["gpt-4o-mini", "MODEL_NOT_FOUND"],
  ])("refuses %s with %s", (ref, code) => {
    expect(errorOf(ref).code).toBe(code);
  });
});
