import type { z } from "zod";
import type { RbeeApi } from "../../shared/contract/api.js";
import { RbeeError, parseOrThrow } from "../../shared/contract/errors.js";
import { HealthResponse } from "../../shared/contract/events.js";
import {
  AddNodeRequest,
  AddNodeResponse,
  ListNodesResponse,
  NodeName,
  RemoveNodeResponse,
  TestNodeResponse,
} from "../../shared/contract/nodes.js";
import { ListWorkersResponse, WorkerId } from "../../shared/contract/workers.js";
import type { ConnectionSource } from "./connection.js";
import { createEventStream } from "./event-stream.js";

/** The HTTP transport: the RbeeApi plus the state of its event link. */
export type HttpRbeeApi = RbeeApi & ConnectionSource;

export interface HttpApiOptions {
  /** Injected in tests; defaults to the browser's fetch. */
  readonly fetch?: typeof fetch;
}

/**
 * The RbeeApi over the queen's HTTP API (SPEC §3), for a renderer served by `queen-rbee` in a
 * browser. Every answer is validated against the contract; every error answer becomes an RbeeError.
 */
export function createHttpApi(baseUrl: string, token: string, options: HttpApiOptions = {}): HttpRbeeApi {
  const base = baseUrl.replace(/\/+$/, "");
  // An unbound window.fetch throws "Illegal invocation".
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);

  async function request(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        method,
        headers,
        cache: "no-store",
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
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
    onEvent: events.subscribe,
    onConnectionChange: events.onConnectionChange,
  };
}
