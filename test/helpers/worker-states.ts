// The queen's `/v1/events` workers snapshots, for tests that wait for a worker to become busy or idle.
import { QueenEvent, type RegisteredWorker } from "../../src/shared/contract/index.js";
import type { QueenProcess } from "./queen-process.js";
import { sseMessages } from "./sse.js";

/** Resolves with the first workers snapshot of `/v1/events` that satisfies `predicate`. */
export async function workersWhen(queen: QueenProcess, predicate: (workers: readonly RegisteredWorker[]) => boolean): Promise<RegisteredWorker[]> {
  const abort = new AbortController();
  const response = await fetch(`${queen.baseUrl}/v1/events`, { headers: { authorization: `Bearer ${queen.token}` }, signal: abort.signal });
  try {
    for await (const message of sseMessages(response.body!)) {
      const event = QueenEvent.parse(JSON.parse(message.data));
      if (event.type === "workers" && predicate(event.workers)) return event.workers;
    }
    throw new Error("the event stream ended");
  } finally {
    abort.abort();
  }
}

/** The worker of `model` in a snapshot, when there is one. */
export function workerOf(workers: readonly RegisteredWorker[], model: string): RegisteredWorker | undefined {
  return workers.find((worker) => worker.model_ref === model);
}
