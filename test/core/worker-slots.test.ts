import { describe, expect, test } from "vitest";
import type { WorkerState } from "../../src/shared/contract/index.js";
import { publishedSlots, type PublishedSlots } from "../../src/core/registry/worker-slots.js";

const ledger = (total: number, state: WorkerState, slotsAvailable: number, booked: number, freedSinceReport: number) => ({
  total,
  reported: { state, slotsAvailable },
  booked,
  freedSinceReport,
});

describe("publishedSlots", () => {
  test.each<[string, ReturnType<typeof ledger>, PublishedSlots]>([
    ["an idle report, nothing booked", ledger(2, "idle", 2, 0, 0), { state: "idle", slots_available: 2 }],
    ["a busy report, nothing booked", ledger(2, "busy", 1, 0, 0), { state: "busy", slots_available: 1 }],
    ["a busy report with every slot free stands", ledger(1, "busy", 1, 0, 0), { state: "busy", slots_available: 1 }],
    ["a booking since the report", ledger(2, "idle", 2, 1, -1), { state: "busy", slots_available: 1 }],
    ["every slot booked since the report", ledger(2, "idle", 2, 2, -2), { state: "busy", slots_available: 0 }],
    ["a late report never frees a booked slot", ledger(1, "idle", 1, 1, 0), { state: "busy", slots_available: 0 }],
    ["a release frees what the report still counts", ledger(1, "busy", 0, 0, 1), { state: "idle", slots_available: 1 }],
    ["a release never frees a slot still booked", ledger(2, "busy", 1, 1, 1), { state: "busy", slots_available: 1 }],
    ["releases never free beyond the total", ledger(2, "idle", 2, 0, 5), { state: "idle", slots_available: 2 }],
    ["work the queen did not place stays counted", ledger(2, "busy", 1, 1, -1), { state: "busy", slots_available: 0 }],
    ["a loading worker stays loading", ledger(1, "loading", 1, 0, 0), { state: "loading", slots_available: 1 }],
    ["an impossible report is clamped", ledger(2, "idle", 9, 0, 0), { state: "idle", slots_available: 2 }],
    ["more bookings than slots give no negative count", ledger(1, "idle", 1, 3, -3), { state: "busy", slots_available: 0 }],
  ])("%s", (_name, input, expected) => {
    expect(publishedSlots(input)).toEqual(expected);
  });
});
