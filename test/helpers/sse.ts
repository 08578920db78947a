import { SSE_DONE, StreamEvent } from "../../src/shared/contract/index.js";

export { SseParser, sseMessages, type SseMessage } from "../../src/shared/sse.js";
import { sseMessages } from "../../src/shared/sse.js";

/** Every JSON `data:` payload of a stream up to `[DONE]`, and whether `[DONE]` came. */
export type SseJsonResult = { readonly events: unknown[]; readonly done: boolean };

/**
 * Reads an SSE answer of the rbee kind: each `data:` is one JSON object until `data: [DONE]`.
 * `onEvent` sees each event as it arrives (e.g. to cancel mid-stream).
 */
export async function readSseJson(response: Response, onEvent?: (event: unknown) => void | Promise<void>): Promise<SseJsonResult> {
  if (!response.body) throw new Error(`no body (HTTP ${response.status})`);
  const events: unknown[] = [];
  for await (const message of sseMessages(response.body)) {
    if (message.data === SSE_DONE) return { events, done: true };
    const event: unknown = JSON.parse(message.data);
    events.push(event);
    await onEvent?.(event);
  }
  return { events, done: false };
}

/** Like `readSseJson`, but every event must be a contract StreamEvent. */
export async function readStreamEvents(
  response: Response,
  onEvent?: (event: StreamEvent) => void | Promise<void>,
): Promise<{ readonly events: StreamEvent[]; readonly done: boolean }> {
  const result = await readSseJson(response, (raw) => onEvent?.(StreamEvent.parse(raw)));
  return { events: result.events.map((raw) => StreamEvent.parse(raw)), done: result.done };
}

/** The text of a token stream: its `t` fields joined. */
export function streamText(events: readonly StreamEvent[]): string {
  return events.map((event) => (event.type === "token" ? event.t : "")).join("");
}
