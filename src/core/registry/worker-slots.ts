import type { WorkerState } from "../../shared/contract/index.js";

/** What the registry knows about one worker's slots: its own last report and the queen's bookings. */
export interface SlotLedger {
  readonly total: number;
  /** The worker's last word on its state and free slots: a hint, as it lags behind the queen's dispatching. */
  readonly reported: { readonly state: WorkerState; readonly slotsAvailable: number };
  /** Jobs this queen has placed there and not yet seen end. */
  readonly booked: number;
  /** The queen's releases minus its bookings since that report: how far the report is behind. */
  readonly freedSinceReport: number;
}

/** The state and free slots the registry publishes for a worker. */
export interface PublishedSlots {
  readonly state: WorkerState;
  readonly slots_available: number;
}

/**
 * A worker's published state and free slots (pure): its report moved by the queen's own bookings
 * and releases since, and never more than the slots the queen has not booked (a late report never
 * frees a slot the queen still has booked; work the queen did not place, e.g. from before a
 * restart, stays counted).
 */
export function publishedSlots(ledger: SlotLedger): PublishedSlots {
  const { total, reported, booked, freedSinceReport } = ledger;
  const free = Math.min(Math.max(0, Math.min(reported.slotsAvailable + freedSinceReport, total - booked)), total);
  if (reported.state === "loading") return { state: "loading", slots_available: free };
  // A report of "busy" with every slot free stands until a release shows the work it meant has ended.
  const busy = free < total || (reported.state === "busy" && freedSinceReport <= 0);
  return { state: busy ? "busy" : "idle", slots_available: free };
}
