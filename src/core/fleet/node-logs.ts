import { DEFAULT_LOG_LINES, type Beehive, type LogStreamEvent } from "../../shared/contract/index.js";
import type { HiveControl } from "../remote/hive-control.js";
import type { StreamWork } from "../service/core-stream.js";

/** Which log of a node: its hive's, or one worker's; how many of the last lines. */
export interface NodeLogQuery {
  readonly worker?: string | undefined;
  readonly lines?: number | undefined;
}

function hiveQuery(query: NodeLogQuery): { readonly worker?: string; readonly lines: number } {
  return { ...(query.worker !== undefined ? { worker: query.worker } : {}), lines: query.lines ?? DEFAULT_LOG_LINES };
}

/** The last lines of a node's hive log or of one of its workers', read by its hive (started if needed). */
export async function readNodeLogs(hives: HiveControl, node: Beehive, query: NodeLogQuery): Promise<string[]> {
  const hive = await hives.ensure(node);
  return hive.client.logs(hiveQuery(query));
}

/**
 * Follows a node's log through its hive: resolves once the hive accepted (an unknown worker is
 * refused here, before anything streams), then the work forwards each line until the log ends
 * (the worker exited) or the client goes away, which closes the hive's stream too.
 */
export async function followNodeLogs(hives: HiveControl, node: Beehive, query: NodeLogQuery): Promise<StreamWork<LogStreamEvent>> {
  const hive = await hives.ensure(node);
  const abort = new AbortController();
  const events = await hive.client.followLogs(hiveQuery(query), abort.signal);
  return async (send, signal) => {
    const stop = (): void => abort.abort();
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
    try {
      for await (const event of events) send(event);
    } finally {
      signal.removeEventListener("abort", stop);
      abort.abort();
    }
  };
}
