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
        engine: "node-llama-cpp",
        rpc: [],
        tensorSplit: undefined,
        gpuLayers: undefined,
      },
    });
  });

  it("reads the llama-server engine's flags", () => {
    const parsed = parseWorkerCommandLine([
      ...BASE,
      "--engine", "llama-server",
      "--rpc", "127.0.0.1:50052,localhost:50053",
      "--tensor-split", "3,1,0.5",
      "--gpu-layers", "12",
    ]);
    expect(parsed).toMatchObject({
      options: { engine: "llama-server", rpc: ["127.0.0.1:50052", "localhost:50053"], tensorSplit: [3, 1, 0.5], gpuLayers: 12 },
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
    [[...BASE, "--engine", "vllm"], /--engine must be one of node-llama-cpp, llama-server/],
    [[...BASE, "--rpc", "127.0.0.1:50052"], /--rpc needs --engine llama-server/],
    [[...BASE, "--gpu-layers", "4"], /--gpu-layers needs --engine llama-server/],
    [[...BASE, "--engine", "llama-server", "--rpc", "10.0.0.2:50052"], /--rpc takes loopback HOST:PORT/],
    [[...BASE, "--engine", "llama-server", "--rpc", "127.0.0.1:50052,0.0.0.0:1"], /got "0.0.0.0:1"/],
    [[...BASE, "--engine", "llama-server", "--rpc", "127.0.0.1:70000"], /--rpc takes loopback/],
    [[...BASE, "--engine", "llama-server", "--rpc", "127.0.0.1"], /--rpc takes loopback/],
    [[...BASE, "--engine", "llama-server", "--tensor-split", "1,x"], /--tensor-split takes/],
    [[...BASE, "--engine", "llama-server", "--tensor-split", "0,0"], /not all 0/],
    [[...BASE, "--engine", "llama-server", "--gpu-layers", "-1"], /--gpu-layers/],
  ])("refuses %j", (argv, message) => {
    const error = errorOf(argv);
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toMatch(message);
  });
});
