import { resolve } from "node:path";
import { Backend, Engine, NodeName, WORKER_ID_PATTERN, ModelRef } from "../shared/contract/index.js";
import { isLoopbackHost } from "../shared/net.js";
import { flagError, integerFlag, parseFlags, stringFlags } from "../node-common/flags.js";

/** Everything a worker process is told on its command line. */
export type WorkerOptions = {
  readonly workerId: string;
  readonly modelPath: string;
  readonly modelRef: string;
  readonly backend: Backend;
  readonly device: number;
  readonly host: string;
  readonly port: number;
  readonly callbackUrl: string | undefined;
  /** Guards this worker's routes. */
  readonly token: string;
  /** Presented to the callback; the same as `token` unless `--callback-token` is given. */
  readonly callbackToken: string;
  readonly slots: number;
  readonly ctx: number | undefined;
  readonly threads: number | undefined;
  readonly heartbeatMs: number;
  readonly nodeName: string;
  /** The program that runs the model. */
  readonly engine: Engine;
  /** llama-server only: loopback `host:port` of rpc-servers holding part of the model (`--rpc`). */
  readonly rpc: readonly string[];
  /** llama-server only: the share of the model per device (`--tensor-split`). */
  readonly tensorSplit: readonly number[] | undefined;
  /** llama-server only: layers on the GPU or, with `--rpc` on cpu, on the RPC devices (`-ngl`). */
  readonly gpuLayers: number | undefined;
};

/** The outcome of reading the command line: run, or print usage and exit 0. */
export type ParsedCommandLine = { readonly kind: "run"; readonly options: WorkerOptions } | { readonly kind: "help" };

/** Usage text for `--help`. */
export const WORKER_USAGE = `Usage: llm-worker-rbee --worker-id ID --model PATH --token TOKEN [options]

Loads one GGUF model and serves it over HTTP on loopback.

  --worker-id ID        this worker's id (letters, digits, '.', '_', '-')
  --model PATH          the GGUF file to load
  --model-ref REF       how the model was asked for (default: file:<PATH>)
  --backend B           cpu | cuda | metal | vulkan (default: cpu; never falls back to cpu)
  --device N            GPU index for cuda/vulkan (default: 0)
  --host HOST           loopback address to bind (default: 127.0.0.1)
  --port N              port to bind, 0 for a free one (default: 0)
  --token TOKEN         bearer token for every route but /health (or RBEE_WORKER_TOKEN)
  --callback-url URL    base URL to register with and send heartbeats to (optional)
  --callback-token T    token for the callback when it differs from --token
  --node-name NAME      node name to report in streams and the registration
  --slots N             parallel jobs (default: 1)
  --ctx N               context size per slot, in tokens (default: min(4096, model's))
  --threads N           CPU threads (default on cpu: the physical cores less one, at least 1)
  --heartbeat-ms N      heartbeat interval (default: 5000)
  --engine E            node-llama-cpp | llama-server (default: node-llama-cpp); llama-server runs
                        llama.cpp's llama-server on loopback behind this worker's API

llama-server only:
  --rpc HOST:PORT,...   rpc-servers on loopback that hold part of the model
  --tensor-split A,B,.. share of the model per device (this node's first, then each --rpc)
  --gpu-layers N        layers on the GPU, or with --rpc on cpu on the RPC devices
                        (default: 0 without --rpc, 999 with --rpc)
`;

const MIN_TOKEN_LENGTH = 16;

function httpUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    flagError(`--${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") flagError(`--${name} must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, "");
}

/**
 * Reads and validates the worker's flags. Throws INVALID_REQUEST with one sentence naming the flag
 * on anything wrong, including a non-loopback `--host`.
 */
export function parseWorkerCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedCommandLine {
  const flags = parseFlags(argv, {
    ...stringFlags("worker-id", "model", "model-ref", "backend", "device", "host", "port", "callback-url", "token"),
    ...stringFlags("callback-token", "node-name", "slots", "ctx", "threads", "heartbeat-ms"),
    ...stringFlags("engine", "rpc", "tensor-split", "gpu-layers"),
    help: { type: "boolean", short: "h" },
  });
  if (flags.has("help")) return { kind: "help" };
  const { text } = flags;

  const workerId = text("worker-id");
  if (workerId === undefined) flagError("--worker-id is required");
  if (!WORKER_ID_PATTERN.test(workerId)) flagError(`--worker-id must be 1-128 letters, digits, '.', '_' or '-', got "${workerId}"`);

  const model = text("model");
  if (model === undefined || model === "") flagError("--model is required (the path of a GGUF file)");
  const modelPath = resolve(model);

  const modelRef = text("model-ref") ?? `file:${modelPath}`;
  if (!ModelRef.safeParse(modelRef).success) flagError(`--model-ref must not contain spaces or control characters`);

  const backendRaw = text("backend") ?? "cpu";
  const backend = Backend.safeParse(backendRaw);
  if (!backend.success) flagError(`--backend must be one of ${Backend.options.join(", ")}, got "${backendRaw}"`);

  const host = text("host") ?? "127.0.0.1";
  if (!isLoopbackHost(host)) flagError(`--host must be a loopback address (127.0.0.1, ::1 or localhost), got "${host}"`);

  const token = text("token") ?? env.RBEE_WORKER_TOKEN;
  if (token === undefined || token === "") flagError("--token is required (or set RBEE_WORKER_TOKEN)");
  if (token.length < MIN_TOKEN_LENGTH) flagError(`--token must be at least ${MIN_TOKEN_LENGTH} characters`);
  const callbackToken = text("callback-token") ?? token;

  const nodeName = text("node-name") ?? "";
  if (nodeName !== "" && !NodeName.safeParse(nodeName).success) {
    flagError(`--node-name must be 1-63 lowercase letters, digits or '-', got "${nodeName}"`);
  }

  const engineRaw = text("engine") ?? "node-llama-cpp";
  const engine = Engine.safeParse(engineRaw);
  if (!engine.success) flagError(`--engine must be one of ${Engine.options.join(", ")}, got "${engineRaw}"`);
  const rpc = rpcEndpoints(text("rpc"));
  const tensorSplit = tensorSplitFlag(text("tensor-split"));
  const gpuLayers = integerFlag("gpu-layers", text("gpu-layers"), 0, 100_000);
  if (engine.data !== "llama-server") {
    for (const name of ["rpc", "tensor-split", "gpu-layers"]) {
      if (text(name) !== undefined) flagError(`--${name} needs --engine llama-server`);
    }
  }

  return {
    kind: "run",
    options: {
      workerId,
      modelPath,
      modelRef,
      backend: backend.data,
      device: integerFlag("device", text("device"), 0, 1023) ?? 0,
      host,
      port: integerFlag("port", text("port"), 0, 65535) ?? 0,
      callbackUrl: httpUrl("callback-url", text("callback-url")),
      token,
      callbackToken,
      slots: integerFlag("slots", text("slots"), 1, 64) ?? 1,
      ctx: integerFlag("ctx", text("ctx"), 16, 1_048_576),
      threads: integerFlag("threads", text("threads"), 1, 1024),
      heartbeatMs: integerFlag("heartbeat-ms", text("heartbeat-ms"), 50, 3_600_000) ?? 5000,
      nodeName,
      engine: engine.data,
      rpc,
      tensorSplit,
      gpuLayers,
    },
  };
}

// An IPv4 loopback address or localhost: rpc-servers have no authentication and stay on loopback
// (a remote one is reached through a tunnel to a local port).
const LOOPBACK_ENDPOINT = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):(\d{1,5})$/;

function rpcEndpoints(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const endpoints = raw.split(",").map((entry) => entry.trim());
  if (endpoints.length > 64) flagError("--rpc takes at most 64 endpoints");
  for (const endpoint of endpoints) {
    const match = LOOPBACK_ENDPOINT.exec(endpoint);
    const port = Number(match?.[2]);
    const octets = match?.[1]?.split(".").map(Number) ?? [];
    if (!match || port < 1 || port > 65535 || octets.some((octet) => octet > 255)) {
      flagError(`--rpc takes loopback HOST:PORT endpoints (127.0.0.1:PORT), comma-separated; got "${endpoint}"`);
    }
  }
  return endpoints;
}

function tensorSplitFlag(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(",").map((part) => part.trim());
  const shares = parts.map(Number);
  if (parts.length > 65 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part)) || shares.every((share) => share === 0)) {
    flagError(`--tensor-split takes comma-separated non-negative numbers, not all 0 (e.g. 3,1); got "${raw}"`);
  }
  return shares;
}
