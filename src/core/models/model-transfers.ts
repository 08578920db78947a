import type { ModelTransfer } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";

/** One running download or copy as its owner reports it. */
export interface TransferHandle {
  update(bytes: number, bytesTotal?: number): void;
  /** It ended (done, failed or cancelled): it leaves the list. */
  end(): void;
}

/**
 * The downloads and copies running on the fleet now, whoever started them (a download or copy
 * request, a spawn that downloads): the `downloads` snapshot of `/v1/events`. The one writer of
 * that list; `onDidChange` fires on every update (the state feed throttles).
 */
export class ModelTransfers {
  private readonly running = new Map<number, ModelTransfer>();
  private nextId = 1;
  private readonly changed = new Emitter<void>();
  readonly onDidChange = (listener: () => void) => this.changed.on(listener);

  /** Starts tracking a transfer; the returned handle updates and ends it. */
  track(transfer: Omit<ModelTransfer, "bytes" | "bytes_total">): TransferHandle {
    const id = this.nextId++;
    this.running.set(id, { ...transfer, bytes: 0 });
    this.changed.fire();
    return {
      update: (bytes, bytesTotal) => {
        const current = this.running.get(id);
        if (!current) return;
        this.running.set(id, { ...current, bytes, ...(bytesTotal !== undefined ? { bytes_total: bytesTotal } : {}) });
        this.changed.fire();
      },
      end: () => {
        if (this.running.delete(id)) this.changed.fire();
      },
    };
  }

  /** The transfers running now, oldest first. */
  list(): ModelTransfer[] {
    return [...this.running.values()];
  }
}
