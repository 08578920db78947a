// The catalog the queen serves: the built-in one, or an RBEE_MODEL_CATALOG override file's models;
// a bad file is refused at startup, naming the file and the field.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { RbeeError } from "../../src/shared/contract/errors.js";
import { ModelCatalogResponse, builtInCatalog } from "../../src/shared/contract/model-catalog.js";
import { loadModelCatalog } from "../../src/core/models/catalog.js";
import { runQueenCli } from "../../src/core/queen-cli.js";
import { startQueenServer } from "../../src/core/queen-server.js";
import { jsonClient } from "../helpers/http-client.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-catalog-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const TINY = {
  alias: "tiny-chat",
  model_ref: "http://127.0.0.1:4321/tiny-chat.gguf",
  description: "A generated test model",
  size_bytes: 123_456,
};

/** Writes `content` (JSON unless a string) to a fresh file and answers its path. */
function catalogFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** The error loading `path` throws. */
function loadError(path: string): RbeeError {
  try {
    loadModelCatalog(path);
  } catch (error) {
    expect(error).toBeInstanceOf(RbeeError);
    return error as RbeeError;
  }
  throw new Error(`${path} loaded`);
}

describe("the catalog override", () => {
  test("without a file the built-in catalog is served, each model with a size", () => {
    const models = loadModelCatalog(undefined);
    expect(models).toEqual(builtInCatalog());
    expect(models.map((model) => model.alias)).toContain("tinyllama");
    for (const model of models) expect(model.size_bytes ?? model.approx_size_bytes).toBeGreaterThan(0);
  });

  test("a good file's models replace the built-in ones, as {models} or as the list itself", () => {
    const other = { alias: "other", model_ref: "file:/models/other.gguf", description: "On disk already", approx_size_bytes: 5e9 };
    expect(loadModelCatalog(catalogFile("good.json", { models: [TINY, other] }))).toEqual([TINY, other]);
    expect(loadModelCatalog(catalogFile("list.json", [TINY]))).toEqual([TINY]);
    // A built-in alias is a model_ref too.
    expect(loadModelCatalog(catalogFile("alias.json", [{ alias: "mine", model_ref: "tinyllama", description: "x" }]))).toHaveLength(1);
  });

  test.each([
    ["a misspelt field", { models: [{ ...TINY, size: 5 }] }, "models[0]", /Unrecognized key.*size/],
    ["a missing description", { models: [{ ...TINY, description: undefined }] }, "models[0].description", /required/],
    ["a size that is no byte count", [{ ...TINY, size_bytes: -1 }], "[0].size_bytes", /more than 0/],
    ["an alias with capitals", { models: [{ ...TINY, alias: "Tiny" }] }, "models[0].alias", /lowercase/],
    ["plain http beyond loopback", { models: [TINY, { ...TINY, alias: "far", model_ref: "http://example.com/x.gguf" }] }, "models[1].model_ref", /plain http/],
    ["an unknown alias as model_ref", { models: [{ ...TINY, model_ref: "nosuchmodel" }] }, "models[0].model_ref", /Unknown model 'nosuchmodel'/],
    ["the same alias twice", { models: [TINY, TINY] }, "models[1].alias", /listed twice/],
    ["no models at all", { models: [] }, "models", /at least one model/],
  ])("a file with %s is refused, naming the file and the field", (_what, content, field, why) => {
    const path = catalogFile(`bad-${field.replace(/\W/g, "")}.json`, content);
    const error = loadError(path);
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toContain(`RBEE_MODEL_CATALOG ${path}: ${field}`);
    expect(error.message).toMatch(why);
    expect(error.details).toEqual([{ field, message: expect.any(String) }]);
  });

  test("a file that is not JSON, or not there, is refused with its path", () => {
    const notJson = catalogFile("broken.json", "{ models: [");
    expect(loadError(notJson).message).toMatch(new RegExp(`^RBEE_MODEL_CATALOG ${notJson}: is not JSON`));
    const missing = join(dir, "missing.json");
    expect(loadError(missing).message).toBe(`RBEE_MODEL_CATALOG ${missing}: cannot be read (ENOENT)`);
  });

  test("GET /v2/models/catalog answers the override file's models", async () => {
    const home = join(dir, "home-good");
    const server = await startQueenServer({ home, host: "127.0.0.1", port: 0, modelCatalogFile: catalogFile("served.json", [TINY]), log: () => {} });
    try {
      const answer = await jsonClient(server.baseUrl, server.queen.token).get("/v2/models/catalog");
      expect(answer.status).toBe(200);
      expect(ModelCatalogResponse.parse(answer.body)).toEqual({ models: [TINY] });
    } finally {
      await server.close();
    }
  });

  test("queen-rbee with a bad file exits 1 at startup with one line naming the file and the field", async () => {
    const path = catalogFile("cli-bad.json", { models: [{ ...TINY, model_ref: "ftp://x/y.gguf" }] });
    const home = join(dir, "home-cli");
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const code = await runQueenCli(["--port", "0"], { RBEE_HOME: home, RBEE_MODEL_CATALOG: path, RBEE_LOCAL_NODE: "0" });
      expect(code).toBe(1);
      const lines = errors.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith("queen-rbee:"));
      expect(lines).toEqual([expect.stringContaining(`queen-rbee: RBEE_MODEL_CATALOG ${path}: models[0].model_ref: Invalid model_ref`)]);
      // Refused before anything was opened: no registry was created.
      expect(existsSync(join(home, "beehives.db"))).toBe(false);
    } finally {
      errors.mockRestore();
    }
  });
});
