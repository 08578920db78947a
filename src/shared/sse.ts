// Server-Sent Events reading shared by every client: the CLI, the queen's relays, the renderer and tests.
// Plain web APIs only (TextDecoder, ReadableStream), so it runs in Node and in a browser.

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

/** Yields the messages of an SSE body as they arrive; stopping early cancels the body. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    parser.end();
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** Yields the `data` of each message of an rbee stream until `[DONE]`; false at the end if it never came. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string, boolean> {
  for await (const message of sseMessages(body)) {
    if (message.data === "[DONE]") return true;
    yield message.data;
  }
  return false;
}
