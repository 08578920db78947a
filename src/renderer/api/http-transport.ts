import type { z } from "zod";
import { STREAM_METHODS, type RbeeApi, type StreamHandle } from "../../shared/contract/api.js";
import { RbeeError, parseOrThrow } from "../../shared/contract/errors.js";
import { HealthResponse } from "../../shared/contract/events.js";
import { InferenceRequest } from "../../shared/contract/inference.js";
import {
  AddNodeRequest,
  AddNodeResponse,
  ListNodesResponse,
  NodeName,
  RemoveNodeResponse,
  TestNodeResponse,
} from "../../shared/contract/nodes.js";
import { HiveDevices } from "../../shared/contract/hive.js";
import { SshConfigHostsResponse } from "../../shared/contract/ssh-config.js";
import { ListWorkersResponse, SpawnWorkerRequest, WorkerId } from "../../shared/contract/workers.js";
import type { ConnectionSource } from "./connection.js";
import { createEventStream } from "./event-stream.js";
import { readSseBody } from "./sse-body.js";

/** The HTTP transport: the RbeeApi plus the state of its event link. */
export type HttpRbeeApi = RbeeApi & ConnectionSource;

export interface HttpApiOptions {
  /** Injected in tests; defaults to the browser's fetch. */
  readonly fetch?: typeof fetch;
  /** How long a cancelled job's stream may take to end on its own before it is cut; default 3 s. */
  readonly cancelGraceMs?: number;
}

/**
 * The RbeeApi over the queen's HTTP API (SPEC §3), for a renderer served by `queen-rbee` in a
 * browser. Every answer is validated against the contract; every error answer becomes an RbeeError.
 */
export function createHttpApi(baseUrl: string, token: string, options: HttpApiOptions = {}): HttpRbeeApi {
  const base = baseUrl.replace(/\/+$/, "");
  // An unbound window.fetch throws "Illegal invocation".
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);

  const cancelGraceMs = options.cancelGraceMs ?? 3_000;

  async function request(
    method: "GET" | "POST" | "DELETE",
    path: string,
    body?: unknown,
    init: { readonly signal?: AbortSignal; readonly accept?: string } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: init.accept ?? "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        method,
        headers,
        cache: "no-store",
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new RbeeError("INTERNAL", `Cannot reach the queen at ${base}. Is queen-rbee running?`);
    }
    if (response.ok) return response;
    const json: unknown = await response.json().catch(() => undefined);
    if (response.status === 401 && json === undefined) {
      throw new RbeeError("UNAUTHORIZED", "The queen did not accept the token.");
    }
    throw RbeeError.fromBody(json, `The queen answered ${response.status} ${response.statusText}`.trim());
  }

  async function answer<S extends z.ZodType>(response: Response, schema: S): Promise<z.output<S>> {
    const json: unknown = await response.json().catch(() => undefined);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new RbeeError("INTERNAL", `The queen sent an answer this app does not understand (${response.url}).`);
    }
    return parsed.data;
  }

  /**
   * POSTs `body` and streams the SSE answer's events, each validated against `schema`, to
   * `onEvent`. `prepare` checks the arguments first (a refusal rejects `done`, nothing is sent).
   * Cancel asks the queen to cancel the started job and cuts the stream if it does not end soon;
   * before a job has started (or for streams without jobs) it cuts the stream at once.
   */
  function openStream<S extends z.ZodType>(
    path: string,
    prepare: () => unknown,
    schema: S,
    onEvent: (event: z.output<S>) => void,
  ): StreamHandle {
    const controller = new AbortController();
    let jobId: string | undefined;
    let cancelled = false;
    let finished = false;
    let cut: ReturnType<typeof setTimeout> | undefined;

    const onData = (data: string): void => {
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        console.warn("rbee: ignored a stream event that is not JSON", data.slice(0, 200));
        return;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        console.warn("rbee: ignored a stream event that does not match the contract", parsed.error.issues);
        return;
      }
      const event = parsed.data as { type?: unknown; job_id?: unknown };
      if (event.type === "started" && typeof event.job_id === "string") jobId = event.job_id;
      onEvent(parsed.data);
    };

    const done = (async (): Promise<void> => {
      try {
        const body = prepare();
        const response = await request("POST", path, body, { signal: controller.signal, accept: "text/event-stream" });
        if (!response.body) throw new RbeeError("INTERNAL", `The queen sent an empty stream (${path}).`);
        const complete = await readSseBody(response.body, onData);
        if (!complete && !cancelled) {
          throw new RbeeError("INTERNAL", "The link to the queen dropped before the stream ended.");
        }
      } catch (error) {
        if (cancelled && controller.signal.aborted) return;
        if (error instanceof RbeeError) throw error;
        throw new RbeeError("INTERNAL", "The link to the queen dropped before the stream ended.");
      } finally {
        finished = true;
        clearTimeout(cut);
      }
    })();

    const cancel = (): void => {
      if (cancelled || finished) return;
      cancelled = true;
      const job = jobId;
      if (job === undefined) {
        controller.abort();
        return;
      }
      cut = setTimeout(() => controller.abort(), cancelGraceMs);
      request("DELETE", `/v1/inference/${encodeURIComponent(job)}`).then(
        (response) => response.body?.cancel().catch(() => undefined),
        () => controller.abort(),
      );
    };
    return { cancel, done };
  }

  const events = createEventStream({ url: `${base}/v1/events`, token, fetch: fetchImpl });

  return {
    async health() {
      return answer(await request("GET", "/health"), HealthResponse);
    },
    async listNodes() {
      return (await answer(await request("GET", "/v2/registry/beehives/list"), ListNodesResponse)).nodes;
    },
    async testNode(node) {
      const body = parseOrThrow(AddNodeRequest, node, "node");
      return answer(await request("POST", "/v2/registry/beehives/test", body), TestNodeResponse);
    },
    async addNode(node) {
      const body = parseOrThrow(AddNodeRequest, node, "node");
      return answer(await request("POST", "/v2/registry/beehives/add", body), AddNodeResponse);
    },
    async removeNode(name) {
      const node_name = parseOrThrow(NodeName, name, "node name");
      await answer(await request("POST", "/v2/registry/beehives/remove", { node_name }), RemoveNodeResponse);
    },
    async listWorkers() {
      return (await answer(await request("GET", "/v1/workers/list"), ListWorkersResponse)).workers;
    },
    async stopWorker(id) {
      const workerId = parseOrThrow(WorkerId, id, "worker id");
      const response = await request("DELETE", `/v1/workers/${encodeURIComponent(workerId)}`);
      await response.body?.cancel().catch(() => undefined);
    },
    async nodeDevices(name) {
      const query = new URLSearchParams({ node_name: parseOrThrow(NodeName, name, "node name") });
      return answer(await request("GET", `/v2/registry/beehives/devices?${query}`), HiveDevices);
    },
    async sshConfigHosts() {
      return (await answer(await request("GET", "/v2/registry/ssh-config"), SshConfigHostsResponse)).hosts;
    },
    infer(inference, onEvent) {
      return openStream("/v1/inference", () => parseOrThrow(InferenceRequest, inference, "inference request"), STREAM_METHODS.infer.event, onEvent);
    },
    installNode(name, onEvent) {
      return openStream(
        "/v2/registry/beehives/install",
        () => ({ node_name: parseOrThrow(NodeName, name, "node name") }),
        STREAM_METHODS.installNode.event,
        onEvent,
      );
    },
    spawnWorker(spawn, onEvent) {
      return openStream(
        "/v1/workers/spawn",
        () => parseOrThrow(SpawnWorkerRequest, spawn, "spawn request"),
        STREAM_METHODS.spawnWorker.event,
        onEvent,
      );
    },
    onEvent: events.subscribe,
    onConnectionChange: events.onConnectionChange,
  };
}
