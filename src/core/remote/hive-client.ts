import {
  HiveBuildStreamEvent,
  HiveCancelResponse,
  HiveRpcServer,
  HiveRpcServersResponse,
  ModelFootprint,
  type EngineName,
  type RpcServerStartRequest,
  HiveInventory,
  HiveModelStreamEvent,
  HiveReceiveStart,
  HiveRemoveResponse,
  type HiveReceiveRequest,
  HiveCallbackRequest,
  HiveDevices,
  HiveSpawnStreamEvent,
  HiveWorkersResponse,
  LogStreamEvent,
  LogsResponse,
  RbeeError,
  type HiveSpawnRequest,
  type HiveWorker,
} from "../../shared/contract/index.js";
import { sseData } from "../../shared/sse.js";
import type { HiveAddress } from "./hive-transfer.js";

const REQUEST_TIMEOUT_MS = 15_000;
/** An rpc-server answers once it listens and has measured its device: longer than a plain call on a busy node. */
const RPC_START_TIMEOUT_MS = 60_000;

/** The queen's client for one node's hive, reached through an SSH local forward. */
export class HiveClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly nodeName: string,
  ) {}

  /** Spawns a worker, yielding the hive's progress until the worker is ready. */
  async *spawn(body: HiveSpawnRequest, signal?: AbortSignal): AsyncGenerator<HiveSpawnStreamEvent> {
    const response = await this.request("POST", "/v1/workers/spawn", body, { accept: "text/event-stream", signal, timeout: false });
    if (!response.body) throw this.failure("the spawn stream had no body");
    const events = sseData(response.body);
    for (;;) {
      const next = await events.next();
      if (next.done) {
        if (!next.value) throw this.failure("the spawn stream ended early");
        return;
      }
      yield parseSpawnEvent(JSON.parse(next.value));
    }
  }

  /** The node's backends, devices, RAM and VRAM. */
  async devices(): Promise<HiveDevices> {
    const response = await this.request("GET", "/v1/devices");
    return HiveDevices.parse(await response.json());
  }

  async listWorkers(): Promise<HiveWorker[]> {
    const response = await this.request("GET", "/v1/workers/list");
    return HiveWorkersResponse.parse(await response.json()).workers;
  }

  /** Stops one worker; a worker the hive no longer has counts as stopped. */
  async stopWorker(workerId: string): Promise<void> {
    const response = await this.request("POST", "/v1/workers/stop", { worker_id: workerId }, { allow404: true });
    await response.body?.cancel();
  }

  /** The node's model files, free disk and running downloads; `signal` bounds the wait (a list never waits long). */
  async inventory(signal?: AbortSignal): Promise<HiveInventory> {
    const response = await this.request("GET", "/v1/models/inventory", undefined, { signal });
    return HiveInventory.parse(await response.json());
  }

  /** Downloads a model on the node, yielding the hive's progress until the model is there. */
  async *download(modelRef: string, signal?: AbortSignal): AsyncGenerator<HiveModelStreamEvent> {
    const response = await this.request("POST", "/v1/models/download", { model_ref: modelRef }, { accept: "text/event-stream", signal, timeout: false });
    if (!response.body) throw this.failure("the download stream had no body");
    for await (const data of sseData(response.body)) {
      const parsed = HiveModelStreamEvent.safeParse(JSON.parse(data));
      if (!parsed.success) throw this.failure(`it sent a download event outside the contract: ${data.slice(0, 200)}`);
      yield parsed.data;
    }
  }

  /** Stops a running download on the node (false: none ran). */
  async cancelDownload(modelRef: string): Promise<boolean> {
    const response = await this.request("POST", "/v1/models/cancel", { model_ref: modelRef });
    return HiveCancelResponse.parse(await response.json()).cancelled;
  }

  /** Deletes a model file on the node (MODEL_IN_USE, MODEL_NOT_FOUND as the hive answers). */
  async removeModel(modelRef: string): Promise<void> {
    const response = await this.request("POST", "/v1/models/remove", { model_ref: modelRef });
    HiveRemoveResponse.parse(await response.json());
  }

  /** Prepares the receiving end of a copy: where to go on from, or that the file is already there. */
  async startReceive(request: HiveReceiveRequest): Promise<HiveReceiveStart> {
    const response = await this.request("POST", "/v1/models/receive/start", request);
    return HiveReceiveStart.parse(await response.json());
  }

  /** Starts an rpc-server for a shard on the node's loopback; answers once it listens, with the memory its device has free. */
  async startRpcServer(body: RpcServerStartRequest): Promise<HiveRpcServer> {
    const response = await this.request("POST", "/v1/rpc/start", body, { timeout: false, signal: AbortSignal.timeout(RPC_START_TIMEOUT_MS) });
    return this.parsed(HiveRpcServer, await response.json(), "rpc-server");
  }

  /** Stops one rpc-server; one the hive no longer runs counts as stopped. */
  async stopRpcServer(id: string): Promise<void> {
    const response = await this.request("POST", "/v1/rpc/stop", { id }, { allow404: true });
    await response.body?.cancel();
  }

  /** The rpc-servers the hive runs, with the bytes each holds. */
  async listRpcServers(): Promise<HiveRpcServer[]> {
    const response = await this.request("GET", "/v1/rpc/list");
    return this.parsed(HiveRpcServersResponse, await response.json(), "rpc-server list").servers;
  }

  /**
   * Builds llama.cpp's programs on the node (llama-server and rpc-server are built together),
   * yielding the hive's progress until the engine's new status.
   */
  async *buildEngine(engine: EngineName, signal?: AbortSignal): AsyncGenerator<HiveBuildStreamEvent> {
    const response = await this.request("POST", "/v1/engines/build", { engine }, { accept: "text/event-stream", signal, timeout: false });
    if (!response.body) throw this.failure("the build stream had no body");
    for await (const data of sseData(response.body)) {
      yield this.parsed(HiveBuildStreamEvent, JSON.parse(data), "build event");
    }
  }

  /** What a model file on the node needs in memory (its layers, weights), from its header; undefined from a hive without the route. */
  async modelFootprint(modelRef: string, signal?: AbortSignal): Promise<ModelFootprint | undefined> {
    const response = await this.request("GET", `/v1/models/info?${new URLSearchParams({ model_ref: modelRef }).toString()}`, undefined, {
      allow404: true,
      ...(signal ? { signal } : {}),
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status !== 404) return this.parsed(ModelFootprint, body, "model footprint");
    const error = RbeeError.fromBody(body, `The hive on ${this.nodeName} answered HTTP 404`);
    // A hive older than the route answers "No route" (ROUTE_NOT_FOUND from newer ones); a missing model is an error.
    if (error.code === "ROUTE_NOT_FOUND" || (error.code === "INVALID_REQUEST" && error.message.startsWith("No route"))) return undefined;
    throw error;
  }

  /** Where this hive is and its token: what a copy's streams (hive-transfer.ts) use. */
  address(): HiveAddress {
    return { baseUrl: this.baseUrl, token: this.token, nodeName: this.nodeName };
  }

  /** The last lines of the hive's log, or of one worker's (WORKER_NOT_FOUND when the hive has none). */
  async logs(query: HiveLogsRequest): Promise<string[]> {
    const response = await this.request("GET", `/v1/logs${logsQuery(query)}`);
    return LogsResponse.parse(await response.json()).lines;
  }

  /**
   * Follows a log: answers once the hive has accepted (refusals such as WORKER_NOT_FOUND reject
   * here), then yields its last lines and each new one until the worker exits or `signal` aborts.
   */
  async followLogs(query: HiveLogsRequest, signal: AbortSignal): Promise<AsyncGenerator<LogStreamEvent>> {
    const path = `/v1/logs${logsQuery({ ...query, follow: true })}`;
    const response = await this.request("GET", path, undefined, { accept: "text/event-stream", signal, timeout: false });
    if (!response.body) throw this.failure("the log stream had no body");
    return this.logEvents(response.body, signal);
  }

  private async *logEvents(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<LogStreamEvent> {
    const events = sseData(body);
    const dropped = (): RbeeError => new RbeeError("SSH_FAILED", `The link to ${this.nodeName} dropped while following its log`);
    for (;;) {
      let next: IteratorResult<string, boolean>;
      try {
        next = await events.next();
      } catch (error) {
        if (signal.aborted) return;
        throw error instanceof RbeeError ? error : dropped();
      }
      if (next.done) {
        if (!next.value && !signal.aborted) throw dropped();
        return;
      }
      const event = LogStreamEvent.safeParse(JSON.parse(next.value));
      if (!event.success) throw this.failure(`it sent a log event outside the contract: ${next.value.slice(0, 200)}`);
      yield event.data;
    }
  }

  /** Tells the hive where the queen's callback routes are now (they move on every reconnect). */
  async setCallback(body: HiveCallbackRequest): Promise<void> {
    const response = await this.request("POST", "/v1/callback", HiveCallbackRequest.parse(body));
    await response.body?.cancel();
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    options: {
      accept?: string;
      signal?: AbortSignal | undefined;
      timeout?: boolean;
      allow404?: boolean;
    } = {},
  ): Promise<Response> {
    const signals = [options.signal, options.timeout === false ? undefined : AbortSignal.timeout(REQUEST_TIMEOUT_MS)].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: options.accept ?? "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
      });
    } catch (error) {
      if ((error as Error).name === "AbortError" && options.signal?.aborted) throw error;
      throw this.failure(`no answer (${(error as Error).message})`);
    }
    if (response.ok || (options.allow404 && response.status === 404)) return response;
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    throw RbeeError.fromBody(parsed, `The hive on ${this.nodeName} answered HTTP ${response.status}`);
  }

  private parsed<T>(schema: { safeParse(raw: unknown): { success: true; data: T } | { success: false } }, raw: unknown, what: string): T {
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    throw this.failure(`it sent a ${what} outside the contract: ${JSON.stringify(raw).slice(0, 200)}`);
  }

  private failure(reason: string): RbeeError {
    return new RbeeError("WORKER_FAILED", `The hive on ${this.nodeName} failed: ${reason}`);
  }
}

/** What the queen asks a hive's log route. */
export interface HiveLogsRequest {
  readonly worker?: string | undefined;
  readonly lines: number;
  readonly follow?: boolean;
}

function logsQuery(query: HiveLogsRequest): string {
  const search = new URLSearchParams({ lines: String(query.lines) });
  if (query.worker !== undefined) search.set("worker", query.worker);
  if (query.follow) search.set("follow", "true");
  return `?${search.toString()}`;
}

function parseSpawnEvent(raw: unknown): HiveSpawnStreamEvent {
  const parsed = HiveSpawnStreamEvent.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new RbeeError("WORKER_FAILED", `The hive sent a spawn event outside the contract: ${JSON.stringify(raw).slice(0, 200)}`);
}
