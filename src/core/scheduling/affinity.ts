import type { PrefixMark } from "./prompt-prefix.js";

/** How many conversations the queen remembers the worker of. */
const MAX_SESSIONS = 10_000;
/** How many prompt beginnings the queen remembers per worker (its slots hold far fewer). */
const MAX_MARKS_PER_WORKER = 256;
/** How many workers' beginnings it remembers: a retired worker's id never comes back, so its entries just age out. */
const MAX_WORKERS = 1_024;

/** A worker's claim on a request: a session it served wins over any shared beginning. */
export const SESSION_SCORE = Number.POSITIVE_INFINITY;
/**
 * A shared beginning counts only when it is at least this share of the request: a new conversation
 * that shares just a system prompt with one on a worker goes where the usual choice puts it (and so
 * spreads) instead of piling onto that worker and pushing the other conversation out of its cache.
 */
export const MIN_SHARED_FRACTION = 0.5;

/**
 * Where each conversation and each prompt beginning was last run, so that the next turn goes where
 * its beginning is cached: by session id when the client names one, else by the longest beginning
 * a worker was given. Bounded: the oldest entries go first.
 */
export class AffinityIndex {
  private readonly sessions = new Map<string, string>();
  private readonly marksByWorker = new Map<string, Map<string, number>>();

  /**
   * Each worker's claim on a request: SESSION_SCORE for its session's worker, else the characters of
   * the longest shared beginning when it is at least MIN_SHARED_FRACTION of the request.
   */
  scores(session: string | undefined, marks: readonly PrefixMark[]): Map<string, number> {
    const scores = new Map<string, number>();
    const enough = (marks.at(-1)?.chars ?? 0) * MIN_SHARED_FRACTION;
    for (const [workerId, known] of this.marksByWorker) {
      let best = 0;
      for (const mark of marks) if (known.has(mark.hash)) best = mark.chars;
      if (best > 0 && best >= enough) scores.set(workerId, best);
    }
    const owner = session === undefined ? undefined : this.sessions.get(session);
    if (owner !== undefined) scores.set(owner, SESSION_SCORE);
    return scores;
  }

  /** Notes that `workerId` now holds this request's input (it started the job). */
  record(workerId: string, session: string | undefined, marks: readonly PrefixMark[]): void {
    if (session !== undefined) {
      this.sessions.delete(session);
      this.sessions.set(session, workerId);
      if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    }
    const known = this.marksByWorker.get(workerId) ?? new Map<string, number>();
    this.marksByWorker.delete(workerId);
    this.marksByWorker.set(workerId, known);
    if (this.marksByWorker.size > MAX_WORKERS) this.marksByWorker.delete(this.marksByWorker.keys().next().value!);
    for (const mark of marks) {
      known.delete(mark.hash);
      known.set(mark.hash, mark.chars);
    }
    while (known.size > MAX_MARKS_PER_WORKER) known.delete(known.keys().next().value!);
  }
}
