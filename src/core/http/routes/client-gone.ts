import type { Response } from "express";
import type { CoreStream } from "../../service/core-stream.js";

/** Cancels `stream` when the client goes away before the answer is complete; the answer tells whether it did. */
export function cancelWhenGone(res: Response, stream: Pick<CoreStream<unknown>, "cancel">): () => boolean {
  let gone = false;
  res.on("close", () => {
    if (res.writableFinished) return;
    gone = true;
    stream.cancel();
  });
  return () => gone;
}

/** Writes to an answer unless the client already went away or it ended. */
export function writeIfOpen(res: Response, text: string): void {
  if (!res.writableEnded && !res.destroyed) res.write(text);
}
