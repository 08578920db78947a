import { describe, expect, it } from "vitest";
import { RbeeError } from "../../src/shared/contract/index.js";
import { parseWorkerCommandLine } from "../../src/worker/worker-options.js";

const TOKEN = "0123456789abcdef";
const BASE = ["--worker-id", "w1", "--model", "/models/m.gguf", "--token", TOKEN];

function errorOf(argv: string[], env: NodeJS.ProcessEnv = {}): RbeeError {
  try {
    parseWorkerCommandLine(argv, env);
  } catch (error) {
    if (error instanceof RbeeError) return error;
    throw error;
  }
  throw new Error("expected the command line to be refused");
}

describe("parseWorkerCommandLine", () => {
  it("fills in the defaults", () => {
    expect(parseWorkerCommandLine(BASE)).toEqual({
      kind: "run",
      options: {
        workerId: "w1",
        modelPath: "/models/m.gguf",
        modelRef: "file:/models/m.gguf",
        backend: "cpu",
        device: 0,
        host: "127.0.0.1",
        port: 0,
        callbackUrl: undefined,
        token: TOKEN,
        callbackToken: TOKEN,
        slots: 1,
        ctx: undefined,
        threads: undefined,
        heartbeatMs: 5000,
        nodeName: "",
      },
    });
  });

  it("reads every flag", () => {
    const parsed = parseWorkerCommandLine([
      ...BASE,
      "--model-ref", "hf:org/repo/m.gguf",
      "--backend", "vulkan",
      "--device", "1",
      "--host", "::1",
      "--port", "9300",
      "--callback-url", "http://127.0.0.1:8080/",
      "--callback-token", "another-token-0123",
      "--node-name", "gpu-box",
      "--slots", "4",
      "--ctx", "1024",
      "--threads", "2",
      "--heartbeat-ms", "250",
    ]);
    expect(parsed).toMatchObject({
      kind: "run",
      options: {
        modelRef: "hf:org/repo/m.gguf",
        backend: "vulkan",
        device: 1,
        host: "::1",
        port: 9300,
        callbackUrl: "http://127.0.0.1:8080",
        callbackToken: "another-token-0123",
        nodeName: "gpu-box",
        slots: 4,
        ctx: 1024,
        threads: 2,
        heartbeatMs: 250,
      },
    });
  });

  it("takes the token from RBEE_WORKER_TOKEN when the flag is absent", () => {
    const parsed = parseWorkerCommandLine(BASE.slice(0, 4), { RBEE_WORKER_TOKEN: "from-the-environment" });
    expect(parsed).toMatchObject({ options: { token: "from-the-environment" } });
  });

  it.each([
    [["--model", "/m.gguf", "--token", TOKEN], /--worker-id is required/],
    [[...BASE, "--host", "192.168.1.2"], /--host must be a loopback address/],
    [[...BASE, "--backend", "rocm"], /--backend must be one of cpu, cuda, metal, vulkan/],
    [[...BASE, "--slots", "0"], /--slots must be between 1 and 64/],
    [[...BASE, "--port", "http"], /--port must be a whole number/],
    [[...BASE, "--callback-url", "ftp://x"], /--callback-url must be an http\(s\) URL/],
    [["--worker-id", "w1", "--model", "/m.gguf", "--token", "short"], /--token must be at least 16 characters/],
    [["--worker-id", "w1", "--model", "/m.gguf"], /--token is required/],
    [[...BASE, "--worker-id", "bad id"], /--worker-id must be/],
    [[...BASE, "--unknown"], /unknown/i],
  ])("refuses %j", (argv, message) => {
    const error = errorOf(argv);
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toMatch(message);
  });
});
