import { SSE_DONE, StreamEvent } from "../../src/shared/contract/index.js";

/** One dispatched Server-Sent Events message. */
export type SseMessage = { readonly event: string; readonly data: string; readonly id: string | undefined };

/**
 * Incremental Server-Sent Events parser following the WHATWG rules: lines end with CRLF, LF or CR;
 * `field: value` (one leading space stripped), several `data` lines joined with "\n"; a blank line
 * dispatches; lines starting with ":" are comments; a message without data is not dispatched.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  private pendingCr = false;

  /** Feeds decoded text; returns the messages completed by it. */
  push(text: string): SseMessage[] {
    let input = text;
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.pendingCr && input.startsWith("\n")) input = input.slice(1);
    this.pendingCr = false;
    this.buffer += input;
    const messages: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      if (match[0] === "\r" && match.index === this.buffer.length - 1) this.pendingCr = true;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  /** Ends the input: an unterminated message is discarded, as the standard says. */
  end(): SseMessage[] {
    this.buffer = "";
    this.data = [];
    this.event = "";
    return [];
  }

  private line(line: string): SseMessage | undefined {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return undefined;
      }
      const message = { event: this.event || "message", data: this.data.join("\n"), id: this.id };
      this.data = [];
      this.event = "";
      return message;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    return undefined;
  }
}

/** Yields the messages of an SSE body as they arrive. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.push(decoder.decode());
  parser.end();
}

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

/** Like `readSseJson`, but every event must be a contract StreamEvent (SPEC §5). */
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
