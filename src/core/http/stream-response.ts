import type { ServerResponse } from "node:http";
import { openSse } from "../../node-common/sse-response.js";
import type { CoreStream } from "../service/core-stream.js";

/** How long an idle event stream waits before a comment keeps it (and its SSH tunnels) open. */
export const KEEP_ALIVE_MS = 15_000;

/** Streams a core stream as SSE; the client going away cancels it. */
export async function sendStream(res: ServerResponse, stream: CoreStream<object>): Promise<void> {
  const sse = openSse(res, { keepAliveMs: KEEP_ALIVE_MS });
  sse.onClose(() => stream.cancel());
  // Gone while the stream was being opened: its close came before anyone listened.
  if (sse.closed) stream.cancel();
  await stream.run((event) => sse.send(event));
  sse.done();
}
