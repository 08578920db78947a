import { describe, expect, it } from "vitest";
import { readSseJson, SseParser } from "./sse.js";

describe("SseParser", () => {
  it("joins data lines, strips one space, skips comments and dispatches on a blank line", () => {
    const parser = new SseParser();
    expect(parser.push(": comment\nevent: custom\nid: 7\ndata:  two spaces\ndata:x\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "custom", data: " two spaces\nx", id: "7" }]);
  });

  it("accepts CRLF and CR line ends, even split across chunks", () => {
    const parser = new SseParser();
    expect(parser.push("data: a\r")).toEqual([]);
    expect(parser.push("\n\r")).toEqual([{ event: "message", data: "a", id: undefined }]);
    expect(parser.push("\ndata: b\r\r")).toEqual([{ event: "message", data: "b", id: undefined }]);
  });

  it("does not dispatch a message without data or an unterminated one", () => {
    const parser = new SseParser();
    expect(parser.push("event: x\n\n")).toEqual([]);
    expect(parser.push("data: never ends")).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  it("reads JSON events up to [DONE] from a response split at odd places", async () => {
    const body = 'data: {"type":"token","t":"é","i":0}\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 5) controller.enqueue(bytes.slice(at, at + 5));
        controller.close();
      },
    });
    const result = await readSseJson(new Response(stream));
    expect(result).toEqual({ events: [{ type: "token", t: "é", i: 0 }], done: true });
  });
});
