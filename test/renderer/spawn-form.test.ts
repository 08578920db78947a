import { describe, expect, it } from "vitest";
import { changeSpawnForm, validateSpawnForm, type SpawnFormValues } from "../../src/renderer/lib/spawn-form.js";

const FORM: SpawnFormValues = { node: "gpu", model: " tinyllama ", backend: "cpu", device: "0", slots: "1", threads: "", ctx: "", engine: "node-llama-cpp", shards: [] };

describe("the spawn form", () => {
  it("asks for the spawn it describes; one slot is the default and is left out", () => {
    expect(validateSpawnForm(FORM)).toEqual({ ok: true, request: { node_name: "gpu", model_ref: "tinyllama", backend: "cpu", device: 0 } });
    expect(validateSpawnForm({ ...FORM, backend: "cuda", device: "1", slots: "4" })).toEqual({
      ok: true,
      request: { node_name: "gpu", model_ref: "tinyllama", backend: "cuda", device: 1, slots: 4 },
    });
  });

  it("names the first thing to fix", () => {
    expect(validateSpawnForm({ ...FORM, node: "", model: "" })).toEqual({ ok: false, message: "Choose a node." });
    expect(validateSpawnForm({ ...FORM, model: "  " })).toEqual({ ok: false, message: "Choose or type a model." });
    expect(validateSpawnForm({ ...FORM, device: "-1" })).toMatchObject({ ok: false, message: "The device is a GPU index: 0, 1, …" });
    expect(validateSpawnForm({ ...FORM, device: "65" })).toMatchObject({ ok: false });
    expect(validateSpawnForm({ ...FORM, slots: "0" })).toEqual({ ok: false, message: "Slots is a number from 1 to 64." });
    expect(validateSpawnForm({ ...FORM, slots: "1.5" })).toMatchObject({ ok: false });
    expect(validateSpawnForm({ ...FORM, threads: "0" })).toEqual({ ok: false, message: "Threads is a number from 1 to 1024, or empty to let the worker pick." });
  });

  it("sends threads only when typed: empty lets the worker pick", () => {
    expect(validateSpawnForm({ ...FORM, threads: "2" })).toMatchObject({ ok: true, request: { threads: 2 } });
    expect(validateSpawnForm(FORM)).toMatchObject({ ok: true, request: expect.not.objectContaining({ threads: expect.anything() }) });
    expect(changeSpawnForm(FORM, "threads", " 4 ").threads).toBe("4");
  });

  it("drops spaces typed in the number fields, not in the model", () => {
    expect(changeSpawnForm(FORM, "device", " 2 ").device).toBe("2");
    expect(changeSpawnForm(FORM, "slots", "3 ").slots).toBe("3");
    expect(changeSpawnForm(FORM, "model", "hf:a/b c").model).toBe("hf:a/b c");
  });

  it("sends the context only when typed, from 16 to 1,048,576 tokens per slot", () => {
    expect(validateSpawnForm({ ...FORM, ctx: "4096" })).toMatchObject({ ok: true, request: { ctx: 4096 } });
    expect(validateSpawnForm({ ...FORM, ctx: "16" })).toMatchObject({ ok: true, request: { ctx: 16 } });
    expect(validateSpawnForm({ ...FORM, ctx: "1048576" })).toMatchObject({ ok: true, request: { ctx: 1_048_576 } });
    expect(validateSpawnForm(FORM)).toMatchObject({ ok: true, request: expect.not.objectContaining({ ctx: expect.anything() }) });
    const message = "Context is a number of tokens from 16 to 1,048,576, or empty to let the worker pick.";
    expect(validateSpawnForm({ ...FORM, ctx: "15" })).toEqual({ ok: false, message });
    expect(validateSpawnForm({ ...FORM, ctx: "1048577" })).toEqual({ ok: false, message });
    expect(validateSpawnForm({ ...FORM, ctx: "4k" })).toEqual({ ok: false, message });
    expect(changeSpawnForm(FORM, "ctx", " 8192 ").ctx).toBe("8192");
  });
});
