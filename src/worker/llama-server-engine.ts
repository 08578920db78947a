// The second engine: llama.cpp's own llama-server as a child process on loopback, adapted to the
// worker API. The adapter owns the slots (each job names its llama-server slot, so that 503 and
// slots_available stay exact), tokenizes and renders through llama-server, and maps its stream
// onto token and end events. llama-server needs what node-llama-cpp cannot do: `--rpc`, a model
// split over rpc-servers on other machines.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import type { Token } from "node-llama-cpp";
import {
  RbeeError,
  type Backend,
  type ChatMessage,
  type EndEvent,
  type Grammar,
  type StopReason,
  type TokenEvent,
  type WorkerInferenceRequest,
} from "../shared/contract/index.js";
import { buildScriptPath, findLlamaProgram } from "../node-common/llama-cpp-binaries.js";
import { defaultCpuThreads } from "./cpu-threads.js";
import type { Embeddings } from "./embedder.js";
import type { Sampling } from "./generation.js";
import { slotScore } from "./prefix-cache.js";
import { SlotPool } from "./slot-pool.js";
import {
  assertModelReadable,
  busyError,
  conversationTooLong,
  promptTooLong,
  type EngineJob,
  type WorkerEngine,
  type WorkerEngineOptions,
} from "./worker-engine.js";
import type { WorkerLog } from "./worker-log.js";

const DEFAULT_MAX_CONTEXT = 4096;
/** How long llama-server may take to load the model before the worker gives up. */
const LOAD_TIMEOUT_MS = 10 * 60_000;
/** How long a stopping llama-server gets after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;
/** How long a broken stream waits to learn whether llama-server exited (then the error names the exit). */
const EXIT_WAIT_MS = 1000;
/** llama-server's log lines forwarded per second at most; a longer line is cut. */
const LOG_LINES_PER_SECOND = 20;
const LOG_LINE_CHARS = 400;
/** Lines shown whatever the rate: where the model went, and what went wrong. */
const KEY_LINE = /load_tensors:|buffer size|offloaded|RPC\d|\b(error|failed|abort)/i;
/** The model file's metadata and vocabulary dump: a hundred lines that say nothing the worker does not know. */
const DUMP_LINE = /llama_model_loader: - (kv|type)|print_info: |Dumping metadata/;

// Device selection happens through the GPU runtime's own variable, read when llama-server starts.
const DEVICE_ENV: Readonly<Partial<Record<Backend, string>>> = {
  cuda: "CUDA_VISIBLE_DEVICES",
  vulkan: "GGML_VK_VISIBLE_DEVICES",
};

/** One llama-server slot as the adapter sees it: its id, and the tokens it held after its last job. */
type ServerSlot = { readonly id: number; held: readonly number[] };

/** One chunk of llama-server's `/completion` stream. */
type CompletionChunk = {
  content?: string;
  tokens?: number[];
  stop?: boolean;
  stop_type?: string;
  stopping_word?: string;
  tokens_evaluated?: number;
  timings?: { cache_n?: number; prompt_n?: number };
  error?: { message?: string; code?: number };
};

function describe(error: unknown): string {
  if (error instanceof Error) return (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) || error.name;
  return String(error);
}

/** The machine's physical cores (what llama.cpp counts as math cores), else its logical CPUs. */
function physicalCores(): number {
  try {
    const cores = new Set<string>();
    let physical = "0";
    for (const line of readFileSync("/proc/cpuinfo", "utf8").split("\n")) {
      const [key = "", value = ""] = line.split(":").map((part) => part.trim());
      if (key === "physical id") physical = value;
      if (key === "core id") cores.add(`${physical}:${value}`);
    }
    if (cores.size > 0) return cores.size;
  } catch {
    // Not Linux: fall back below.
  }
  return availableParallelism();
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function helpText(program: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(program, ["--help"], { timeout: 30_000, maxBuffer: 4 * 1024 * 1024 }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

async function trainedContext(modelPath: string): Promise<number | undefined> {
  try {
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const info = await readGgufFileInfo(modelPath, { readTensorInfo: false, logWarnings: false });
    const length = (info.architectureMetadata as { context_length?: unknown }).context_length;
    return typeof length === "number" && length > 0 ? length : undefined;
  } catch {
    return undefined;
  }
}

/** The llama-server arguments for this worker (never the API key: that is in a 0600 file). */
export function llamaServerArgs(options: WorkerEngineOptions, port: number, contextSize: number, threads: number, webui: boolean): string[] {
  const gpuLayers = options.gpuLayers ?? (options.backend === "cpu" && options.rpc.length === 0 ? 0 : 999);
  return [
    "--model", options.modelPath,
    "--host", "127.0.0.1",
    "--port", String(port),
    // One context per slot, as the node-llama-cpp worker has: the total is split evenly.
    "--ctx-size", String(contextSize * options.slots),
    "--parallel", String(options.slots),
    "--no-kv-unified",
    "--threads", String(threads),
    "--n-gpu-layers", String(gpuLayers),
    // A long answer goes on past a full slot (dropping the oldest tokens), as node-llama-cpp's does.
    "--context-shift",
    // The sizes asked for, not what llama-server would adjust them to.
    "--fit", "off",
    "--log-colors", "off",
    // Verbosity 4 logs where the tensors went (`load_tensors: offloaded N/M layers`, `RPC0[…] model buffer size`).
    "--log-verbosity", "4",
    ...(webui ? ["--no-webui"] : []),
    ...(options.rpc.length > 0 ? ["--rpc", options.rpc.join(",")] : []),
    ...(options.tensorSplit ? ["--tensor-split", options.tensorSplit.join(",")] : []),
  ];
}

/**
 * llama-server's log lines into the worker's log: prefixed, cut, at most a few per second. While
 * it loads every line is shown (where the layers and buffers went); once it serves, only warnings
 * and errors, not its lines for each request. The last line is kept either way: its exit names it.
 */
class ForwardedLog {
  private lastLine = "";
  private lastProblem = { line: "", at: 0 };
  serving = false;
  private windowStart = 0;
  private inWindow = 0;
  private skipped = 0;

  constructor(private readonly log: WorkerLog) {}

  /** What an exit is explained with: the error or warning of its last seconds, else its last line. */
  lastWords(): string {
    return Date.now() - this.lastProblem.at < 5000 ? this.lastProblem.line : this.lastLine;
  }

  line(raw: string): void {
    // Drop llama.cpp's elapsed-time prefix ("0.00.004.180 I …"): the worker's log has its own order.
    const line = raw.replace(/^\d+\.\d+\.\d+\.\d+\s+/, "").trimEnd();
    if (line.trim() === "") return;
    const cut = line.length > LOG_LINE_CHARS ? `${line.slice(0, LOG_LINE_CHARS)}…` : line;
    this.lastLine = cut;
    if (/^[EW] /.test(line)) this.lastProblem = { line: cut, at: Date.now() };
    const key = KEY_LINE.test(line);
    if (!key && (DUMP_LINE.test(line) || (this.serving && /^[ID] /.test(line)))) return;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      if (this.skipped > 0) this.log(`llama-server: (${this.skipped} more line(s) not shown)`);
      this.windowStart = now;
      this.inWindow = 0;
      this.skipped = 0;
    }
    if (this.inWindow >= LOG_LINES_PER_SECOND && !key) {
      this.skipped += 1;
      return;
    }
    this.inWindow += 1;
    this.log(`llama-server: ${cut}`);
  }
}

/**
 * Starts llama-server for the model and waits until its `/health` says ok. Every failure is an
 * RbeeError: ENGINE_UNAVAILABLE when no llama-server is installed or built, BACKEND_UNAVAILABLE for
 * a GPU backend without one, WORKER_FAILED when it exits while loading (naming its last log line).
 */
export async function loadLlamaServerEngine(options: WorkerEngineOptions): Promise<WorkerEngine> {
  await assertModelReadable(options.modelPath);
  const { backend } = options;
  if (backend === "metal" && options.device !== 0) {
    throw new RbeeError("BACKEND_UNAVAILABLE", `metal has a single device (0); --device ${options.device} does not exist`);
  }
  const found = findLlamaProgram("llama-server", backend);
  if (!found) {
    const build = `bash ${buildScriptPath()}`;
    if (backend !== "cpu") {
      throw new RbeeError(
        "BACKEND_UNAVAILABLE",
        `Backend ${backend} is not available on this machine for llama-server (no ${backend} build of llama-server; run ${build} on a node with ${backend}, or spawn with --backend cpu)`,
      );
    }
    throw new RbeeError("ENGINE_UNAVAILABLE", `llama-server is not installed on this node: run ${build} (or set RBEE_LLAMA_SERVER to its path)`);
  }
  const threads = options.threads ?? defaultCpuThreads(physicalCores());
  options.log(`threads: ${threads}${options.threads === undefined ? ` (chosen: ${physicalCores()} math cores)` : ""}`);
  const contextSize = options.ctx ?? Math.min(DEFAULT_MAX_CONTEXT, (await trainedContext(options.modelPath)) ?? DEFAULT_MAX_CONTEXT);
  let deviceChoice: NodeJS.ProcessEnv = {};
  const deviceVariable = DEVICE_ENV[backend];
  if (deviceVariable !== undefined) {
    const visible = process.env[deviceVariable]?.split(",").map((id) => id.trim()).filter((id) => id !== "");
    const chosen = visible && visible.length > 0 ? visible[options.device] : String(options.device);
    if (chosen === undefined) {
      throw new RbeeError("BACKEND_UNAVAILABLE", `${backend} device ${options.device} is not among ${deviceVariable}=${visible?.join(",")}`);
    }
    deviceChoice = { [deviceVariable]: chosen };
  }

  const webui = (await helpText(found.path)).includes("--no-webui");
  const port = await freeLoopbackPort();
  const keyDir = await mkdtemp(join(tmpdir(), "rbee-llama-server-"));
  const key = randomBytes(32).toString("hex");
  const keyFile = join(keyDir, "api-key");
  await writeFile(keyFile, `${key}\n`, { mode: 0o600 });

  // GGML_NO_BACKTRACE: on an abort (an RPC shard gone) ggml would otherwise run gdb for a
  // backtrace, which takes seconds before llama-server exits and the streams hear of it.
  const env: NodeJS.ProcessEnv = { ...process.env, ...deviceChoice, GGML_NO_BACKTRACE: "1", LLAMA_ARG_API_KEY_FILE: keyFile };
  // Only this worker's own settings: nothing inherited may change how llama-server listens or loads.
  for (const name of Object.keys(env)) if ((name.startsWith("LLAMA_ARG_") && name !== "LLAMA_ARG_API_KEY_FILE") || name === "LLAMA_API_KEY") delete env[name];
  const args = llamaServerArgs(options, port, contextSize, threads, webui);
  // setpriv makes the kernel kill llama-server when the worker dies, even by SIGKILL; it execs, so
  // the child's pid is llama-server's own.
  const setpriv = process.platform === "linux" && existsSync("/usr/bin/setpriv") ? "/usr/bin/setpriv" : undefined;
  const child = setpriv
    ? spawn(setpriv, ["--pdeathsig", "SIGKILL", "--", found.path, ...args], { env, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(found.path, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  options.log(`llama-server ${found.path} (pid ${child.pid ?? "?"}) on 127.0.0.1:${port}: ${args.join(" ")}`);
  const engine = new LlamaServerEngine(child, `http://127.0.0.1:${port}`, key, keyDir, options, contextSize, threads);
  try {
    await engine.waitUntilHealthy();
  } catch (error) {
    await engine.dispose();
    throw error;
  }
  return engine;
}

/** A running llama-server behind the WorkerEngine seam. */
export class LlamaServerEngine implements WorkerEngine {
  readonly name = "llama-server" as const;
  readonly slots: SlotPool<ServerSlot>;
  readonly vramBytes = undefined;
  private readonly forwarded: ForwardedLog;
  private readonly died = new AbortController();
  private readonly exited: Promise<void>;
  private failure: RbeeError | undefined;
  private disposing = false;
  private loaded = false;
  private readonly killOnExit = (): void => {
    this.child.kill("SIGKILL");
  };

  constructor(
    private readonly child: ChildProcess,
    private readonly base: string,
    private readonly key: string,
    private readonly keyDir: string,
    private readonly options: WorkerEngineOptions,
    readonly contextSize: number,
    readonly threads: number,
  ) {
    this.slots = new SlotPool(Array.from({ length: options.slots }, (_, id) => ({ id, held: [] })));
    this.forwarded = new ForwardedLog(options.log);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => this.forwarded.line(line));
    }
    // Every way out of the worker's process takes llama-server with it.
    process.once("exit", this.killOnExit);
    this.exited = new Promise((resolve) => {
      let ended = false;
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (ended) return;
        ended = true;
        process.off("exit", this.killOnExit);
        if (!this.disposing) this.fail(code, signal);
        resolve();
      };
      // "close", not "exit": by then every line it wrote has been read, its last words included.
      child.once("close", onExit);
      child.once("error", (error) => {
        this.forwarded.line(`could not start: ${error.message}`);
        onExit(null, null);
      });
    });
  }

  /** Waits until llama-server's `/health` answers ok; throws WORKER_FAILED when it exits first or takes too long. */
  async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + LOAD_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.failure) throw this.failure;
      try {
        const response = await fetch(`${this.base}/health`, { signal: AbortSignal.any([this.died.signal, AbortSignal.timeout(5000)]) });
        const body = (await response.json().catch(() => ({}))) as { status?: unknown };
        if (response.ok && body.status === "ok") {
          this.loaded = true;
          this.forwarded.serving = true;
          return;
        }
      } catch {
        // Not listening yet (or it exited: the loop's next turn says so).
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.died.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
    throw new RbeeError("WORKER_FAILED", `llama-server did not load ${this.options.modelPath} within ${LOAD_TIMEOUT_MS / 1000} s`);
  }

  async reserve(request: WorkerInferenceRequest, sampling: Sampling): Promise<EngineJob> {
    if (this.failure) throw this.failure;
    if (this.slots.available === 0) throw busyError(this.slots.total);
    const tokens = request.messages !== undefined ? await this.conversation(request.messages) : await this.tokenize(request.prompt ?? "", false);
    if (tokens.length >= this.contextSize) {
      // A conversation is not cut to fit here (llama-server renders it whole): too long is refused.
      throw request.messages !== undefined ? conversationTooLong(tokens.length, this.contextSize) : promptTooLong(tokens.length, this.contextSize);
    }
    const cachePrompt = request.cache_prompt ?? true;
    const asTokens = (list: readonly number[]): Token[] => list as Token[];
    // Without the cache, any slot will do: the one free the longest, sparing what the others hold.
    const slot = this.slots.acquire(cachePrompt ? (free) => slotScore(asTokens(free.held), asTokens(tokens)) : undefined);
    if (!slot) throw busyError(this.slots.total);
    let released = false;
    return {
      run: (signal, startedAt, onToken) => this.generate({ slot, tokens, sampling, grammar: request.grammar, cachePrompt, signal, startedAt }, onToken),
      release: () => {
        if (released) return;
        released = true;
        this.slots.release(slot);
      },
    };
  }

  /** llama-server embeds only when started as an embedding-only server: this engine does not. */
  embed(_texts: readonly string[]): Promise<Embeddings> {
    return Promise.reject(
      new RbeeError(
        "ENGINE_UNAVAILABLE",
        "Embeddings are not available from a llama-server worker (llama-server computes them only when started with --embeddings, as an embedding-only server); use a node-llama-cpp worker for /v1/embeddings",
      ),
    );
  }

  /** Stops llama-server (SIGTERM, then SIGKILL) and removes its API key file. */
  async dispose(): Promise<void> {
    this.disposing = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    process.off("exit", this.killOnExit);
    await rm(this.keyDir, { recursive: true, force: true }).catch(() => undefined);
  }

  // llama-server exited on its own (it aborts when an RPC shard goes away): running streams end
  // with this error, and the worker hears it, after they did, to exit non-zero.
  private fail(code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal !== null ? `signal ${signal}` : `code ${code ?? "?"}`;
    const last = this.forwarded.lastWords();
    const when = this.loaded ? "exited unexpectedly" : "exited while loading the model";
    this.failure = new RbeeError("WORKER_FAILED", `llama-server ${when} (${how})${last !== "" ? `: ${last}` : ""}`);
    this.died.abort();
    if (this.loaded) {
      const failure = this.failure;
      setImmediate(() => this.options.onFatal(failure));
    }
  }

  private async post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.key}` },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, this.died.signal]) : this.died.signal,
      });
    } catch (error) {
      throw await this.brokenError(error);
    }
  }

  private async postJson<T>(path: string, body: unknown): Promise<T> {
    const response = await this.post(path, body);
    if (!response.ok) throw await this.answerError(path, response);
    return (await response.json()) as T;
  }

  // What a failed call to llama-server means: its exit when it exited (waiting a moment to know).
  private async brokenError(error: unknown): Promise<RbeeError> {
    if (!this.failure) await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, EXIT_WAIT_MS).unref())]);
    return this.failure ?? new RbeeError("WORKER_FAILED", `llama-server did not answer: ${describe(error)}`);
  }

  private async answerError(path: string, response: Response): Promise<RbeeError> {
    const text = await response.text().catch(() => "");
    let message = text.trim().slice(0, 500);
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // Not JSON: its text is the message.
    }
    if (response.status === 400) return new RbeeError("INVALID_REQUEST", `llama-server refused the request: ${message}`);
    return new RbeeError("WORKER_FAILED", `llama-server answered ${response.status} to ${path}: ${message}`);
  }

  // A raw prompt's tokens, with BOS when the model wants one; special-token texts in it stay text.
  private async tokenize(text: string, special: boolean): Promise<number[]> {
    const answer = await this.postJson<{ tokens: number[] }>("/tokenize", { content: text, add_special: true, parse_special: special });
    return answer.tokens;
  }

  // The conversation rendered with llama-server's chat template, tokenized as llama-server's own
  // chat route does (special tokens parsed).
  private async conversation(messages: readonly ChatMessage[]): Promise<number[]> {
    const rendered = await this.postJson<{ prompt: string }>("/apply-template", { messages });
    return this.tokenize(rendered.prompt, true);
  }

  private async generate(job: GenerationJob, onToken: (event: TokenEvent) => void): Promise<EndEvent> {
    const { slot, tokens, sampling, signal, startedAt } = job;
    const elapsed = (): number => Math.round((performance.now() - startedAt) * 100) / 100;
    const generated: number[] = [];
    let index = 0;
    let firstTokenAt: number | undefined;
    const emit = (text: string): void => {
      firstTokenAt ??= elapsed();
      onToken({ type: "token", t: text, i: index });
      index += 1;
    };
    const end = (reason: StopReason, cached: number, stopSequence?: string): EndEvent => {
      slot.held = [...tokens, ...generated];
      const decodeMs = elapsed();
      return {
        type: "end",
        tokens_in: tokens.length,
        tokens_cached: cached,
        tokens_out: index,
        decode_ms: decodeMs,
        ttft_ms: firstTokenAt ?? decodeMs,
        stop_reason: reason,
        ...(reason === "stop" && stopSequence !== undefined ? { stop_sequence: stopSequence } : {}),
      };
    };
    if (signal.aborted) return end("cancelled", 0);

    const body = {
      prompt: tokens,
      n_predict: sampling.maxTokens,
      temperature: sampling.temperature,
      seed: sampling.seed,
      stop: sampling.stop,
      // node-llama-cpp's defaults for what the contract does not set.
      top_k: 40,
      top_p: sampling.topP ?? 0.95,
      min_p: 0,
      stream: true,
      id_slot: slot.id,
      cache_prompt: job.cachePrompt,
      return_tokens: true,
      ...grammarFields(job.grammar),
    };
    try {
      // Aborting the request is the cancel: llama-server stops the slot when its client goes away.
      const response = await this.post("/completion", body, signal);
      if (!response.ok || !response.body) throw await this.answerError("/completion", response);
      const decoder = new TextDecoder();
      let buffered = "";
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          const event = parseStreamLine(line);
          if (event === undefined) continue;
          if (event.error) throw new RbeeError("WORKER_FAILED", `llama-server failed the generation: ${event.error.message ?? JSON.stringify(event.error)}`);
          const pieces = event.tokens ?? [];
          const text = event.content ?? "";
          if (!event.stop) {
            // One event per token; a chunk's text rides on its first.
            pieces.forEach((token, at) => {
              generated.push(token);
              emit(at === 0 ? text : "");
            });
            if (pieces.length === 0 && text !== "") emit(text);
            continue;
          }
          // Text llama-server held back (a possible beginning of a stop string) comes with the last chunk.
          if (text !== "") emit(text);
          const cached = event.timings?.cache_n ?? 0;
          if (signal.aborted) return end("cancelled", cached);
          return end(stopReasonOf(event.stop_type), cached, event.stopping_word || undefined);
        }
      }
      if (signal.aborted) return end("cancelled", 0);
      throw await this.brokenError(new Error("the stream ended without its last chunk"));
    } catch (error) {
      if (this.failure) throw this.failure;
      if (signal.aborted) return end("cancelled", 0);
      if (error instanceof RbeeError) throw error;
      throw await this.brokenError(error);
    }
  }
}

type GenerationJob = {
  readonly slot: ServerSlot;
  readonly tokens: readonly number[];
  readonly sampling: Sampling;
  readonly grammar: Grammar | undefined;
  readonly cachePrompt: boolean;
  readonly signal: AbortSignal;
  readonly startedAt: number;
};

// llama-server turns a JSON schema into its grammar itself; `{}` is any JSON value.
function grammarFields(grammar: Grammar | undefined): Record<string, unknown> {
  if (grammar === undefined) return {};
  return { json_schema: grammar.type === "json" ? {} : grammar.schema };
}

function parseStreamLine(line: string): CompletionChunk | undefined {
  const match = /^(data|error):\s*(.*)$/.exec(line);
  if (!match || match[2] === undefined || match[2] === "[DONE]") return undefined;
  try {
    const parsed = JSON.parse(match[2]) as CompletionChunk;
    return match[1] === "error" ? { error: (parsed.error ?? parsed) as CompletionChunk["error"] } : parsed;
  } catch {
    return undefined;
  }
}

function stopReasonOf(stopType: string | undefined): StopReason {
  if (stopType === "limit") return "max_tokens";
  if (stopType === "word") return "stop";
  return "eos";
}
