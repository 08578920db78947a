import { describe, expect, it } from "vitest";
import { SseParser } from "../../src/shared/sse.js";

// The one SSE parser every client uses: the renderer, rbee-keeper, the queen's relays and tests.
function parse(chunks: readonly string[]): string[] {
  const parser = new SseParser();
  const out = chunks.flatMap((chunk) => parser.push(chunk).map((message) => message.data));
  parser.end();
  return out;
}

describe("SseParser", () => {
  it("yields the data of each event", () => {
    expect(parse(['data: {"a":1}\n\ndata: {"b":2}\n\n'])).toEqual(['{"a":1}', '{"b":2}']);
  });

  it("joins events split across chunks, at any byte", () => {
    const text = 'data: {"type":"nodes"}\n\n: keep-alive\n\ndata: [DONE]\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      expect(parse([text.slice(0, cut), text.slice(cut)])).toEqual(['{"type":"nodes"}', "[DONE]"]);
    }
  });

  it("accepts CRLF and CR line ends, even split between chunks", () => {
    expect(parse(["data: x\r", "\n\r\ndata: y\r\r"])).toEqual(["x", "y"]);
  });

  it("joins multi-line data and ignores comments and other fields", () => {
    expect(parse([": hello\nevent: ping\nid: 3\ndata: one\ndata:two\n\n"])).toEqual(["one\ntwo"]);
  });

  it("drops an event the stream cut off", () => {
    expect(parse(["data: whole\n\ndata: half"])).toEqual(["whole"]);
  });
});
