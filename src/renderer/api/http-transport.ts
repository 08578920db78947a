import { API, NoContent, fillPath, splitInput, type RbeeApi, type StreamHandle } from "../../shared/contract/api.js";
import { RbeeError } from "../../shared/contract/errors.js";
import { sseData } from "../../shared/sse.js";
import { createClient, type Transport } from "./client.js";
import type { ConnectionSource } from "./connection.js";
import { createEventStream } from "./event-stream.js";

/** The HTTP transport: the RbeeApi plus the state of its event link. */
export type HttpRbeeApi = RbeeApi & ConnectionSource;

export interface HttpApiOptions {
  /** Injected in tests; defaults to the browser's fetch. */
  readonly fetch?: typeof fetch;
  /** How long a cancelled stream may take to end on its own before it is cut; default 5 s. */
  readonly cancelGraceMs?: number;
}

/** A random stream name, as `?stream_id=` carries it. */
function newStreamId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function queryString(query: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * The table's methods over the queen's HTTP API (docs/api.md), for a renderer served by `queen-rbee` in
 * a browser: each row's verb and path, its input split into path, query and body; every error
 * answer becomes an RbeeError. Each stream is named (`?stream_id=`), and cancelling it asks the queen
 * to cancel that stream (`cancelStream`): its core cancels the work, an inference job on its worker,
 * and the stream ends with its last events (`end` / `cancelled`). Should that fail or take too long,
 * the connection is closed, which the queen treats the same way.
 */
export function createHttpTransport(baseUrl: string, token: string, options: HttpApiOptions = {}): Transport & ConnectionSource {
  const base = baseUrl.replace(/\/+$/, "");
  // An unbound window.fetch throws "Illegal invocation".
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const cancelGraceMs = options.cancelGraceMs ?? 5_000;

  async function request(method: keyof typeof API, input: unknown, init: { signal?: AbortSignal; accept?: string } = {}): Promise<Response> {
    const entry = API[method];
    const parts = splitInput(entry, input);
    const url = `${base}${fillPath(entry.path, parts.params)}${queryString(parts.query)}`;
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: init.accept ?? "application/json" };
    if (parts.body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: entry.verb,
        headers,
        cache: "no-store",
        ...(parts.body !== undefined ? { body: JSON.stringify(parts.body) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new RbeeError("INTERNAL", `Cannot reach the queen at ${base}. Is queen-rbee running?`);
    }
    if (response.ok) return response;
    const json: unknown = await response.json().catch(() => undefined);
    if (response.status === 401 && json === undefined) throw new RbeeError("UNAUTHORIZED", "The queen did not accept the token.");
    throw RbeeError.fromBody(json, `The queen answered ${response.status} ${response.statusText}`.trim());
  }

  function stream(method: keyof typeof API, input: unknown, onRaw: (event: unknown) => void): StreamHandle {
    const controller = new AbortController();
    // A call row's follow form has no work to cancel: closing the connection ends it.
    const follows = API[method].kind === "call";
    const streamId = newStreamId();
    let cancelled = false;
    let cut: ReturnType<typeof setTimeout> | undefined;
    const done = (async (): Promise<void> => {
      try {
        const named = follows ? input : { ...(input as object), stream_id: streamId };
        const response = await request(method, named, { signal: controller.signal, accept: "text/event-stream" });
        if (!response.body) throw new RbeeError("INTERNAL", `The queen sent an empty stream (${method}).`);
        const events = sseData(response.body);
        for (;;) {
          const next = await events.next();
          if (next.done) {
            if (next.value || cancelled) return;
            throw new RbeeError("INTERNAL", "The link to the queen dropped before the stream ended.");
          }
          let json: unknown;
          try {
            json = JSON.parse(next.value);
          } catch {
            console.warn("rbee: ignored a stream event that is not JSON", next.value.slice(0, 200));
            continue;
          }
          onRaw(json);
        }
      } catch (error) {
        if (cancelled) return;
        if (error instanceof RbeeError) throw error;
        throw new RbeeError("INTERNAL", "The link to the queen dropped before the stream ended.");
      } finally {
        clearTimeout(cut);
      }
    })();
    return {
      cancel() {
        if (cancelled) return;
        cancelled = true;
        if (follows) {
          controller.abort();
          return;
        }
        cut = setTimeout(() => controller.abort(), cancelGraceMs);
        request("cancelStream", { stream_id: streamId }).then(
          (response) => response.body?.cancel().catch(() => undefined),
          () => controller.abort(),
        );
      },
      done,
    };
  }

  // Deltas: after the snapshots on connect, one changed worker, node or transfer per event instead of whole lists.
  const events = createEventStream({ url: `${base}${API.events.path}?deltas=1`, token, fetch: fetchImpl });
  return {
    async call(method, input) {
      const response = await request(method, input);
      if (API[method].answer === NoContent) {
        await response.body?.cancel().catch(() => undefined);
        return undefined;
      }
      return response.json().catch(() => undefined);
    },
    stream,
    subscribe: (onRaw) => events.subscribe(onRaw),
    onConnectionChange: events.onConnectionChange,
  };
}

/** The RbeeApi over the queen's HTTP API, with the state of its event link. */
export function createHttpApi(baseUrl: string, token: string, options: HttpApiOptions = {}): HttpRbeeApi {
  const transport = createHttpTransport(baseUrl, token, options);
  return { ...createClient(transport), onConnectionChange: transport.onConnectionChange };
}
