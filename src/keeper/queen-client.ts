import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rbeeHome } from "../node-common/home.js";
import { readQueenFile } from "../node-common/queen-file.js";
import {
  API,
  RbeeError,
  fillPath,
  splitInput,
  type AnswerOf,
  type CallEntry,
  type CallName,
  type EventOf,
  type FollowEventOf,
  type FollowInputOf,
  type FollowName,
  type InputOf,
  type StreamEntry,
  type StreamName,
} from "../shared/contract/index.js";
import { sseData } from "../shared/sse.js";

/** How the CLI reaches a queen. */
export interface QueenConnection {
  readonly baseUrl: string;
  readonly token: string | undefined;
  /** Where baseUrl came from, for the error when nothing answers there (e.g. "from --queen-url"). */
  readonly origin: string;
}

/**
 * The queen's URL and token. The URL: `--queen-url`, else `RBEE_QUEEN_URL`, else the running
 * queen's RBEE_HOME/queen.json, else loopback on `RBEE_QUEEN_PORT` (default 8080); a queen.json
 * whose queen is gone is ignored with one line to `warn` saying so. The token: `RBEE_TOKEN`, else
 * RBEE_HOME/token.
 */
export function queenConnection(
  queenUrl: string | undefined,
  env: NodeJS.ProcessEnv,
  warn: (line: string) => void = (line) => process.stderr.write(line),
): QueenConnection {
  const home = rbeeHome(env);
  const { baseUrl, origin } = queenAddress(queenUrl?.trim() || undefined, env, home, warn);
  const fromEnv = env.RBEE_TOKEN?.trim();
  if (fromEnv) return { baseUrl, token: fromEnv, origin };
  try {
    return { baseUrl, token: readFileSync(join(home, "token"), "utf8").trim(), origin };
  } catch {
    return { baseUrl, token: undefined, origin };
  }
}

function queenAddress(
  queenUrl: string | undefined,
  env: NodeJS.ProcessEnv,
  home: string,
  warn: (line: string) => void,
): { baseUrl: string; origin: string } {
  const trimmed = (url: string): string => url.replace(/\/+$/, "");
  if (queenUrl) return { baseUrl: trimmed(queenUrl), origin: "from --queen-url" };
  const fromEnv = env.RBEE_QUEEN_URL?.trim();
  if (fromEnv) return { baseUrl: trimmed(fromEnv), origin: "from RBEE_QUEEN_URL" };
  const port = env.RBEE_QUEEN_PORT?.trim();
  const fallback = {
    baseUrl: `http://127.0.0.1:${port || "8080"}`,
    origin: port ? "from RBEE_QUEEN_PORT" : "the default port",
  };
  const found = readQueenFile(home);
  if (found.kind === "running") {
    return { baseUrl: trimmed(found.state.url), origin: `from ${found.path}, written by the queen with pid ${found.state.pid}, which still runs` };
  }
  if (found.kind === "stale") {
    warn(`rbee-keeper: ignoring ${found.path}: ${found.reason}; trying ${fallback.baseUrl} (${fallback.origin})\n`);
    return { baseUrl: fallback.baseUrl, origin: `${fallback.origin}; ${found.path} is stale` };
  }
  return { baseUrl: fallback.baseUrl, origin: `${fallback.origin}; no running queen wrote ${found.path}` };
}

/** A typed client over the API table: every failure is an RbeeError with one clear sentence. */
export class QueenClient {
  constructor(private readonly connection: QueenConnection) {}

  /** Calls a method of the table and returns its validated answer. */
  async call<M extends CallName>(method: M, input: InputOf<M>): Promise<AnswerOf<M>> {
    const entry: CallEntry = API[method];
    const response = await this.send(entry, input);
    const text = await response.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) throw RbeeError.fromBody(parsed, `The queen answered HTTP ${response.status}`);
    const answer = entry.answer.safeParse(parsed);
    if (!answer.success) throw new RbeeError("INTERNAL", `The queen sent an answer this rbee-keeper does not understand (${method})`);
    return answer.data as AnswerOf<M>;
  }

  /**
   * Calls a streaming method and yields its events until `[DONE]`. Aborting `signal` closes the
   * connection: the queen then cancels the work (an inference job on its worker).
   */
  async *stream<M extends StreamName>(method: M, input: InputOf<M>, signal?: AbortSignal): AsyncGenerator<EventOf<M>> {
    const entry: StreamEntry = API[method];
    const response = await this.send(entry, input, signal, "text/event-stream");
    if (!response.ok) throw RbeeError.fromBody(safeJson(await response.text()), `The queen answered HTTP ${response.status}`);
    if (!response.body) return;
    yield* eventsUntilDone(response.body, (data) => entry.events.parse(data) as EventOf<M>);
  }

  /**
   * Calls a row's follow form (`?follow=true`) and yields its events until the queen ends the
   * stream; aborting `signal` closes the connection, which ends it on the queen too.
   */
  async *follow<M extends FollowName>(method: M, input: FollowInputOf<M>, signal?: AbortSignal): AsyncGenerator<FollowEventOf<M>> {
    const entry: CallEntry = API[method];
    const response = await this.send(entry, { ...input, follow: true }, signal, "text/event-stream");
    if (!response.ok) throw RbeeError.fromBody(safeJson(await response.text()), `The queen answered HTTP ${response.status}`);
    const schema = entry.follow;
    if (!response.body || !schema) return;
    yield* eventsUntilDone(response.body, (data) => schema.parse(data) as FollowEventOf<M>);
  }

  private async send(entry: CallEntry | StreamEntry, input: unknown, signal?: AbortSignal, accept = "application/json"): Promise<Response> {
    if (!this.connection.token) {
      throw new RbeeError(
        "UNAUTHORIZED",
        "No API token: set RBEE_TOKEN, or run on the queen's machine where RBEE_HOME/token exists",
      );
    }
    const { params, query, body } = splitInput(entry, input);
    const search = new URLSearchParams(Object.entries(query).map(([key, value]): [string, string] => [key, String(value)])).toString();
    try {
      return await fetch(`${this.connection.baseUrl}${fillPath(entry.path, params)}${search ? `?${search}` : ""}`, {
        method: entry.verb,
        headers: {
          authorization: `Bearer ${this.connection.token}`,
          accept,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new RbeeError(
        "INTERNAL",
        `No queen answers at ${this.connection.baseUrl}. Start one with \`queen-rbee\` (\`npx queen-rbee\` in the rbee checkout without \`npm link\`) or open the rbee app, or pass --queen-url (this address: ${this.connection.origin})`,
      );
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A stream's events, each parsed by `parse`, until `[DONE]`; a stream that ends without it is an error. */
async function* eventsUntilDone<T>(body: ReadableStream<Uint8Array>, parse: (data: unknown) => T): AsyncGenerator<T> {
  const events = sseData(body);
  for (;;) {
    const next = await events.next();
    if (next.done) {
      if (next.value) return;
      throw new RbeeError("INTERNAL", "The queen closed the stream before it finished");
    }
    yield parse(JSON.parse(next.value));
  }
}
