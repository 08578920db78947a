import { performance } from "node:perf_hooks";
import { sseMessages } from "../../src/shared/sse.js";

/** One SSE `data:` payload and when it arrived, in ms after the request was sent. */
export interface TimedMessage {
  readonly t: number;
  readonly data: string;
}

/** A whole streamed answer with arrival times. */
export interface TimedAnswer {
  readonly status: number;
  readonly messages: readonly TimedMessage[];
  /** Whether `data: [DONE]` arrived. */
  readonly done: boolean;
  /** The body, when the answer was not a stream (an error). */
  readonly errorBody?: string;
}

/** POSTs `body` as JSON and reads the SSE answer, stamping each message with its arrival time. */
export async function timedPost(url: string, token: string, body: unknown, signal?: AbortSignal): Promise<TimedAnswer> {
  const sent = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  if (!response.ok || !response.body || !response.headers.get("content-type")?.includes("text/event-stream")) {
    return { status: response.status, messages: [], done: false, errorBody: await response.text() };
  }
  const messages: TimedMessage[] = [];
  for await (const message of sseMessages(response.body)) {
    const t = performance.now() - sent;
    if (message.data === "[DONE]") return { status: response.status, messages, done: true };
    messages.push({ t, data: message.data });
  }
  return { status: response.status, messages, done: false };
}

/** An rbee stream event with its arrival time. */
export interface TimedEvent {
  readonly t: number;
  readonly type: string;
  readonly event: Record<string, unknown>;
}

/** The rbee events of a timed answer. */
export function rbeeEvents(answer: TimedAnswer): TimedEvent[] {
  return answer.messages.map((message) => {
    const event = JSON.parse(message.data) as Record<string, unknown>;
    return { t: message.t, type: String(event.type), event };
  });
}

/** Throws with the answer's error when a stream did not end well. */
export function assertStreamOk(answer: TimedAnswer, what: string): void {
  if (answer.status !== 200 || !answer.done) {
    throw new Error(`${what}: HTTP ${answer.status}${answer.errorBody ? ` ${answer.errorBody.slice(0, 300)}` : ""} (done: ${answer.done})`);
  }
  const error = answer.messages.find((message) => message.data.includes('"type":"error"'));
  if (error) throw new Error(`${what}: ${error.data}`);
}
