import { transferKey, type ModelTransfer } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import type { ItemChange } from "../registry/item-change.js";

/** One running download or copy as its owner reports it. */
export interface TransferHandle {
  update(bytes: number, bytesTotal?: number): void;
  /** It ended (done, failed or cancelled): it leaves the list. */
  end(): void;
}

/**
 * The downloads and copies running on the fleet now, whoever started them (a download or copy
 * request, a spawn that downloads): the `downloads` snapshot of `/v1/events`. The one writer of
 * that list; `onDidChange` fires on every update with the transfer it changed (the state feed throttles).
 */
export class ModelTransfers {
  private readonly running = new Map<number, ModelTransfer>();
  private nextId = 1;
  private readonly changed = new Emitter<ItemChange<ModelTransfer>>();
  readonly onDidChange = (listener: (change: ItemChange<ModelTransfer>) => void) => this.changed.on(listener);

  /** Starts tracking a transfer; the returned handle updates and ends it. */
  track(transfer: Omit<ModelTransfer, "bytes" | "bytes_total">): TransferHandle {
    const id = this.nextId++;
    const started: ModelTransfer = { ...transfer, bytes: 0 };
    this.running.set(id, started);
    this.changed.fire({ op: "upsert", item: started });
    return {
      update: (bytes, bytesTotal) => {
        const current = this.running.get(id);
        if (!current) return;
        const next: ModelTransfer = { ...current, bytes, ...(bytesTotal !== undefined ? { bytes_total: bytesTotal } : {}) };
        this.running.set(id, next);
        this.changed.fire({ op: "upsert", item: next });
      },
      end: () => {
        const last = this.running.get(id);
        if (!last) return;
        this.running.delete(id);
        this.changed.fire({ op: "remove", item: last });
      },
    };
  }

  /**
   * The running transfer with this transferKey (the oldest, should a spawn's download and a
   * download request of the same model to the same node run at once).
   */
  get(key: string): ModelTransfer | undefined {
    for (const transfer of this.running.values()) if (transferKey(transfer) === key) return transfer;
    return undefined;
  }

  /** The transfers running now, oldest first. */
  list(): ModelTransfer[] {
    return [...this.running.values()];
  }
}
