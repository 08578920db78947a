import { RbeeError, type WorkerExit } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";

/** Unexpected exits kept until dismissed; the oldest go first past this many. */
export const MAX_KEPT_EXITS = 20;

/**
 * The workers that died without being stopped, as their hives reported them (exit code or signal,
 * last log lines), newest first, until the user dismisses them. In memory only, bounded.
 */
export class WorkerExits {
  private exits: readonly WorkerExit[] = [];
  private readonly changed = new Emitter<void>();

  /** Fires after every change; read the new state with `list()`. */
  readonly onDidChange = (listener: () => void) => this.changed.on(listener);

  /** Keeps one exit (a repeated report of the same worker replaces the earlier one). */
  record(exit: WorkerExit): void {
    this.exits = [exit, ...this.exits.filter((kept) => kept.worker_id !== exit.worker_id)].slice(0, MAX_KEPT_EXITS);
    this.changed.fire();
  }

  /** Newest first. */
  list(): readonly WorkerExit[] {
    return this.exits;
  }

  /** Forgets one exit; WORKER_NOT_FOUND when none is kept for that worker. */
  dismiss(workerId: string): void {
    if (!this.exits.some((exit) => exit.worker_id === workerId)) {
      throw new RbeeError("WORKER_NOT_FOUND", `No exit of worker "${workerId}" is kept (already dismissed?)`);
    }
    this.exits = this.exits.filter((exit) => exit.worker_id !== workerId);
    this.changed.fire();
  }
}
