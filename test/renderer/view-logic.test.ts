import { describe, expect, it } from "vitest";
import type { RegisteredWorker } from "../../src/shared/contract/workers.js";
import { RbeeError } from "../../src/shared/contract/errors.js";
import { devicesSummary, devicesTitle } from "../../src/renderer/lib/devices.js";
import { describeCodedError } from "../../src/renderer/lib/error-text.js";
import { cachedTokens, formatDuration, formatRate, tokensPerSecond } from "../../src/renderer/lib/format.js";
import { builtInCatalog } from "../../src/shared/contract/model-catalog.js";
import { modelChoices, shortModelName } from "../../src/renderer/lib/model-choices.js";
import { EMPTY_NODE_FORM, formFromSshHost, nodeNameFromAlias, validateNodeForm } from "../../src/renderer/lib/node-form.js";
import { pendingView } from "../../src/renderer/lib/pending-view.js";
import { describeProgress } from "../../src/renderer/lib/progress-text.js";
import { composerAction, globalShortcut, modifierLabel } from "../../src/renderer/lib/shortcuts.js";

const key = (init: Partial<KeyboardEvent>) =>
  ({ key: "", code: "", ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, isComposing: false, ...init }) as KeyboardEvent;

describe("progress text", () => {
  it("shows a percentage and amounts only when the bytes are known", () => {
    expect(describeProgress({ stage: "download", message: "tiny.gguf", bytes: 256 * 1024 * 1024, bytes_total: 1024 * 1024 * 1024 })).toEqual({
      step: "Downloading",
      message: "tiny.gguf",
      fraction: 0.25,
      amount: "25% · 256 MiB of 1.00 GiB",
    });
    expect(describeProgress({ stage: "ssh", message: "Connecting to gpu" })).toMatchObject({ step: "Connecting", fraction: null, amount: null });
    expect(describeProgress({ stage: "download", message: "x", bytes: 5, bytes_total: 0 }).fraction).toBeNull();
    expect(describeProgress({ stage: "download", message: "x", bytes: 50, bytes_total: 10 }).fraction).toBe(1);
  });
});

describe("pending answer", () => {
  it("a queued answer shows its place in line, without a cold start", () => {
    const busy = "Every slot of tinyllama is busy: 2nd in line";
    expect(pendingView({ stage: "queue", message: busy, position: 2 })).toEqual({ kind: "queue", place: "2nd in line", message: busy });
    expect(pendingView({ stage: "queue", message: "busy", position: 1 })).toMatchObject({ place: "Next in line" });
    expect(pendingView({ stage: "queue", message: "busy", position: 22 })).toMatchObject({ place: "22nd in line" });
    expect(pendingView({ stage: "queue", message: "busy" })).toMatchObject({ kind: "queue", place: "Waiting in line" });
  });

  it("cold-start stages are steps of a cold start, a copy among them; no progress or a stage unknown here is still finding a worker", () => {
    expect(pendingView({ stage: "copy", message: "tiny.gguf from gpu", bytes: 1, bytes_total: 4 })).toMatchObject({
      kind: "cold-start",
      stage: "copy",
      progress: { step: "Copying from another node", fraction: 0.25 },
    });
    expect(pendingView({ stage: "spawn", message: "spawning" })).toMatchObject({ kind: "cold-start", stage: "spawn" });
    expect(pendingView(undefined)).toEqual({ kind: "finding" });
    expect(pendingView({ stage: "teleport", message: "from a newer queen" })).toEqual({ kind: "finding" });
  });
});

describe("answer statistics", () => {
  it("measures speed after the first token", () => {
    // 101 tokens: the first at 100 ms, the other 100 in the next 500 ms.
    expect(tokensPerSecond({ tokens_out: 101, decode_ms: 600, ttft_ms: 100 })).toBe(200);
    expect(tokensPerSecond({ tokens_out: 1, decode_ms: 50, ttft_ms: 50 })).toBe(20);
    expect(tokensPerSecond({ tokens_out: 0, decode_ms: 5, ttft_ms: 5 })).toBeNull();
    expect(formatRate(1234.5)).toBe("1235 tok/s");
    expect(formatRate(12.34)).toBe("12.3 tok/s");
    expect(formatDuration(84.2)).toBe("84 ms");
    expect(formatDuration(2_400)).toBe("2.4 s");
  });

  it("names the prompt tokens taken from the cache, only when there are some", () => {
    expect(cachedTokens({ tokens_in: 500, tokens_cached: 412 })).toEqual({
      label: "412 cached",
      title: "412 of 500 prompt tokens came from the worker's cache instead of being evaluated again",
    });
    expect(cachedTokens({ tokens_cached: 7 })?.title).toBe("7 prompt tokens came from the worker's cache instead of being evaluated again");
    expect(cachedTokens({ tokens_in: 500, tokens_cached: 0 })).toBeNull();
    expect(cachedTokens({ tokens_in: 500 })).toBeNull();
  });
});

describe("keyboard shortcuts", () => {
  it("Ctrl or Cmd with 1…4 switch views, whatever the layout", () => {
    expect(globalShortcut(key({ key: "1", code: "Digit1", ctrlKey: true }))).toEqual({ kind: "route", route: "nodes" });
    expect(globalShortcut(key({ key: "2", code: "Digit2", metaKey: true }))).toEqual({ kind: "route", route: "workers" });
    // AZERTY: the key without Shift is "\\"", the physical key is still Digit3.
    expect(globalShortcut(key({ key: '"', code: "Digit3", ctrlKey: true }))).toEqual({ kind: "route", route: "chat" });
    expect(globalShortcut(key({ key: "3", code: "Digit3" }))).toBeNull();
    expect(globalShortcut(key({ key: "4", code: "Digit4", ctrlKey: true }))).toEqual({ kind: "route", route: "models" });
    expect(globalShortcut(key({ key: "5", code: "Digit5", ctrlKey: true }))).toBeNull();
    expect(globalShortcut(key({ key: "1", code: "Digit1", ctrlKey: true, altKey: true }))).toBeNull();
    expect(modifierLabel("MacIntel")).toBe("⌘");
    expect(modifierLabel("Linux x86_64")).toBe("Ctrl");
  });

  it("Enter sends, Shift+Enter does not, Esc stops, an IME composition is left alone", () => {
    expect(composerAction(key({ key: "Enter" }))).toBe("send");
    expect(composerAction(key({ key: "Enter", shiftKey: true }))).toBeNull();
    expect(composerAction(key({ key: "Escape" }))).toBe("stop");
    expect(composerAction(key({ key: "Enter", isComposing: true }))).toBeNull();
  });
});

describe("model choices", () => {
  const worker = (model_ref: string, node_name: string) => ({ model_ref, node_name }) as RegisteredWorker;
  it("offers loaded models first, then the catalog (by the model_ref it is asked for with) without duplicates", () => {
    const catalog = builtInCatalog();
    const qwen = catalog.find((entry) => entry.alias === "qwen2.5-0.5b")!;
    const llama = catalog.find((entry) => entry.alias === "llama3.2-1b")!;
    const choices = modelChoices([worker("tinyllama", "b"), worker("tinyllama", "a"), worker("file:/m/x.gguf", "a")], catalog);
    expect(choices.map((c) => [c.value, c.detail.split(/, Q4/)[0]])).toEqual([
      ["tinyllama", "loaded on a, b"],
      ["file:/m/x.gguf", "loaded on a"],
      [qwen.model_ref, "qwen2.5-0.5b: Qwen2.5 0.5B Instruct"],
      [llama.model_ref, "llama3.2-1b: Llama 3.2 1B Instruct"],
    ]);
    expect(shortModelName("hf:org/repo/file.gguf")).toBe("file.gguf");
    expect(shortModelName("file:x.gguf")).toBe("x.gguf");
    expect(shortModelName("tinyllama")).toBe("tinyllama");
  });
});

describe("ssh config import into the form", () => {
  it("makes a valid node name from an alias and fills the connection fields", () => {
    expect(nodeNameFromAlias("GPU_Box.home")).toBe("gpu-box-home");
    expect(nodeNameFromAlias("--studio box--")).toBe("studio-box");
    const values = formFromSshHost(
      { ...EMPTY_NODE_FORM, git_repo_url: "https://example.org/rbee.git", install_path: "~/rbee" },
      { alias: "Lab Box", ssh_host: "10.0.0.9", ssh_port: 2222, ssh_user: "ml", ssh_key_path: null },
    );
    expect(values).toMatchObject({ node_name: "lab-box", ssh_host: "10.0.0.9", ssh_port: "2222", ssh_user: "ml", ssh_key_path: "" });
    expect(validateNodeForm(values).ok).toBe(true);
  });
});

describe("errors in words", () => {
  it("gives codes from streams a title and what to do", () => {
    expect(describeCodedError({ code: "NO_CAPACITY", message: "No ready node" })).toMatchObject({
      title: "No capacity",
      hint: expect.stringContaining("Nodes"),
    });
    expect(describeCodedError({ code: "SOMETHING_NEW", message: "odd" })).toMatchObject({ title: "Something went wrong", message: "odd" });
    expect(describeCodedError({ code: "SSH_FAILED", message: "connection refused" }, { host: "gpu" }).title).toBe("Connection refused");
    expect(new RbeeError("WORKER_FAILED", "x").code).toBe("WORKER_FAILED");
  });
});

describe("devices", () => {
  const devices = {
    backends: ["cpu", "cuda"] as ("cpu" | "cuda")[],
    devices: { cpu: 1, cuda: 2 },
    ram_bytes: 32 * 1024 ** 3,
    vram: [
      { backend: "cuda" as const, device: 0, name: "RTX 4090", total_bytes: 24 * 1024 ** 3, free_bytes: 20 * 1024 ** 3 },
      { backend: "cuda" as const, device: 1, name: "RTX 3090", total_bytes: 24 * 1024 ** 3, free_bytes: null },
    ],
  };
  it("summarises backends and memory in one line, GPUs in the title", () => {
    expect(devicesSummary(devices)).toBe("cpu · 2× cuda · 32.0 GiB RAM");
    expect(devicesTitle(devices)).toBe("cuda:0 RTX 4090 — 24.0 GiB, 20.0 GiB free\ncuda:1 RTX 3090 — 24.0 GiB");
    expect(devicesTitle({ ...devices, backends: ["cpu"], devices: { cpu: 1 }, vram: [] })).toBe("No GPU found");
  });
});
