import { SSE_DONE } from "../../shared/contract/streams.js";
import { createSseParser } from "./sse-parser.js";

/**
 * Reads an SSE answer to its end, calling `onData` with each event's data as it arrives. Answers
 * whether the stream ended properly (`data: [DONE]`); a stream cut short answers false.
 */
export async function readSseBody(body: NonNullable<Response["body"]>, onData: (data: string) => void): Promise<boolean> {
  let complete = false;
  const parser = createSseParser((data) => {
    if (data === SSE_DONE) complete = true;
    else if (!complete) onData(data);
  });
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(value);
      if (complete) break;
    }
    parser.end();
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return complete;
}
