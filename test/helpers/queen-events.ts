// The queen's state feed (`GET /v1/events`) as a signal to wait on: a test waits for the snapshot
// that shows what it expects, instead of polling or sleeping, and can look back at every snapshot.
import { QueenEvent, type Beehive, type RegisteredWorker } from "../../src/shared/contract/index.js";
import { sseMessages } from "./sse.js";

/** The queen's nodes and workers as of one snapshot. */
export interface QueenState {
  readonly nodes: readonly Beehive[];
  readonly workers: readonly RegisteredWorker[];
  /** When the snapshot came (performance.now()). */
  readonly at: number;
}

export interface QueenWatch {
  /** The latest state. */
  current(): QueenState;
  /** Every state seen, oldest first. */
  readonly history: readonly QueenState[];
  /** Resolves with the first state (the current one included) for which `probe` is truthy; rejects after `timeoutMs`. */
  until<T>(probe: (state: QueenState) => T | undefined | false | null, timeoutMs: number, what: string): Promise<T>;
  /**
   * Resolves once some state, past or coming, satisfied `probe`: wait for this before waiting for
   * its undoing, so that the later wait cannot be met by a snapshot taken before the change.
   */
  seen(probe: (state: QueenState) => unknown, timeoutMs: number, what: string): Promise<void>;
  close(): void;
}

/** A node's status in a state, or undefined when the queen has no such node. */
export const statusOf = (state: QueenState, nodeName: string): string | undefined =>
  state.nodes.find((node) => node.node_name === nodeName)?.status;

/** Subscribes to the queen's events; resolves once both first snapshots (nodes and workers) came. */
export async function watchQueen(baseUrl: string, token: string): Promise<QueenWatch> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  if (!response.ok || !response.body) throw new Error(`GET /v1/events answered HTTP ${response.status}`);
  let nodes: readonly Beehive[] | undefined;
  let workers: readonly RegisteredWorker[] | undefined;
  const history: QueenState[] = [];
  const listeners = new Set<() => void>();
  let ended: Error | undefined;
  let first: () => void = () => {};
  let neverStarted: (error: Error) => void = () => {};
  const started = new Promise<void>((resolve, reject) => {
    first = resolve;
    neverStarted = reject;
  });

  void (async () => {
    try {
      for await (const message of sseMessages(response.body!)) {
        const event = QueenEvent.parse(JSON.parse(message.data));
        if (event.type === "nodes") nodes = event.nodes;
        else if (event.type === "workers") workers = event.workers;
        else continue;
        if (!nodes || !workers) continue;
        history.push({ nodes, workers, at: performance.now() });
        first();
        for (const listener of [...listeners]) listener();
      }
      ended = new Error("the queen's event stream ended");
    } catch (error) {
      ended = error instanceof Error ? error : new Error(String(error));
    }
    neverStarted(ended);
    for (const listener of [...listeners]) listener();
  })();
  await started;

  const current = (): QueenState => history.at(-1)!;
  const until: QueenWatch["until"] = (probe, timeoutMs, what) =>
    new Promise((resolve, reject) => {
      const done = (): void => {
        listeners.delete(check);
        clearTimeout(timer);
      };
      const check = (): void => {
        const value = probe(current());
        if (value) {
          done();
          resolve(value);
        } else if (ended && !abort.signal.aborted) {
          done();
          reject(new Error(`waiting for ${what}: ${ended.message}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        const { nodes: lastNodes, workers: lastWorkers } = current();
        const seen = `nodes ${lastNodes.map((n) => `${n.node_name}=${n.status}`).join(", ")}; workers ${lastWorkers.map((w) => `${w.id}@${w.node_name}`).join(", ") || "none"}`;
        reject(new Error(`${what}: not seen within ${timeoutMs} ms (last seen: ${seen})`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return {
    current,
    history,
    until,
    async seen(probe, timeoutMs, what) {
      if (history.some((state) => probe(state))) return;
      await until((state) => Boolean(probe(state)), timeoutMs, what);
    },
    close: () => abort.abort(),
  };
}
