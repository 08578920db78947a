// A `/v1/events` reader's picture of the workers, built the way a client of `?deltas=1` builds it.
import type { QueenEvent, RegisteredWorker } from "../../src/shared/contract/index.js";

/** Workers sorted by id, to compare lists. */
export const byId = (workers: readonly RegisteredWorker[]): RegisteredWorker[] => [...workers].sort((a, b) => a.id.localeCompare(b.id));

/** The last `workers` snapshot with the `worker` deltas since applied; counts both. */
export class WorkersView {
  private readonly workers = new Map<string, RegisteredWorker>();
  snapshots = 0;
  deltas = 0;

  apply(event: QueenEvent): void {
    if (event.type === "workers") {
      this.snapshots++;
      this.workers.clear();
      for (const worker of event.workers) this.workers.set(worker.id, worker);
    } else if (event.type === "worker") {
      this.deltas++;
      if (event.op === "remove") this.workers.delete(event.worker.id);
      else this.workers.set(event.worker.id, event.worker);
    }
  }

  list(): RegisteredWorker[] {
    return byId([...this.workers.values()]);
  }
}
