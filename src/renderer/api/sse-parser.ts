/**
 * Incremental Server-Sent Events parser: feed it text chunks as they arrive, it calls `onData` with
 * the `data:` payload of each complete event (multi-line data joined with "\n"). Other fields and
 * comments are ignored: the queen only sends `data:` lines.
 */
export function createSseParser(onData: (data: string) => void): { push(chunk: string): void; end(): void } {
  let buffer = "";
  let dataLines: string[] = [];

  const dispatch = (): void => {
    if (dataLines.length === 0) return;
    const data = dataLines.join("\n");
    dataLines = [];
    onData(data);
  };

  const line = (text: string): void => {
    if (text === "") return dispatch();
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") dataLines.push(value);
  };

  return {
    push(chunk: string): void {
      buffer += chunk;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) break;
        // A lone "\r" at the end of a chunk may be the first half of "\r\n": wait for more.
        if (match[0] === "\r" && match.index === buffer.length - 1) break;
        line(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    },
    end(): void {
      // A held-back "\r" did end its line after all; any other unterminated line is incomplete.
      if (buffer.endsWith("\r")) line(buffer.slice(0, -1));
      buffer = "";
      // Per the SSE rules an unterminated event at end of stream is dropped.
      dataLines = [];
    },
  };
}
