import { describe, expect, test } from "vitest";
import type { NodeStatus } from "../../src/shared/contract/index.js";
import {
  awaitsHive,
  nextNodeStatus,
  stampsContact,
  type NodeEvent,
} from "../../src/core/nodes/node-status-machine.js";

const STATUSES: readonly NodeStatus[] = ["unknown", "reachable", "unreachable", "installing", "ready"];

const EVENTS: Readonly<Record<string, NodeEvent>> = {
  connected: { type: "connected" },
  "connect-failed": { type: "connect-failed" },
  "probe-up": { type: "probe-up" },
  "probe-down": { type: "probe-down" },
  "install-started": { type: "install-started" },
  "install-succeeded": { type: "install-succeeded" },
  "install-failed(alive)": { type: "install-failed", connectionAlive: true },
  "install-failed(lost)": { type: "install-failed", connectionAlive: false },
  "hive-started": { type: "hive-started" },
  "hive-attach-failed": { type: "hive-attach-failed" },
};

// The whole machine: the status after each event, for a node never seen ready / one seen ready.
// Columns: unknown, reachable, unreachable, installing, ready.
const TABLE: Readonly<Record<string, { readonly fresh: readonly NodeStatus[]; readonly seenReady: readonly NodeStatus[] }>> = {
  connected: {
    fresh: ["reachable", "reachable", "reachable", "installing", "ready"],
    // Waits for its hive to be re-attached before it says ready.
    seenReady: ["unknown", "reachable", "unreachable", "installing", "ready"],
  },
  "connect-failed": {
    fresh: ["unreachable", "unreachable", "unreachable", "installing", "unreachable"],
    seenReady: ["unreachable", "unreachable", "unreachable", "installing", "unreachable"],
  },
  "probe-up": {
    fresh: ["reachable", "reachable", "reachable", "installing", "ready"],
    seenReady: ["unknown", "reachable", "unreachable", "installing", "ready"],
  },
  "probe-down": {
    fresh: ["unknown", "unreachable", "unreachable", "installing", "unreachable"],
    seenReady: ["unknown", "unreachable", "unreachable", "installing", "unreachable"],
  },
  "install-started": {
    fresh: ["installing", "installing", "installing", "installing", "installing"],
    seenReady: ["installing", "installing", "installing", "installing", "installing"],
  },
  "install-succeeded": {
    fresh: ["ready", "ready", "ready", "ready", "ready"],
    seenReady: ["ready", "ready", "ready", "ready", "ready"],
  },
  "install-failed(alive)": {
    fresh: ["reachable", "reachable", "reachable", "reachable", "reachable"],
    seenReady: ["reachable", "reachable", "reachable", "reachable", "reachable"],
  },
  "install-failed(lost)": {
    fresh: ["unreachable", "unreachable", "unreachable", "unreachable", "unreachable"],
    seenReady: ["unreachable", "unreachable", "unreachable", "unreachable", "unreachable"],
  },
  "hive-started": {
    fresh: ["ready", "ready", "ready", "installing", "ready"],
    seenReady: ["ready", "ready", "ready", "installing", "ready"],
  },
  "hive-attach-failed": {
    fresh: ["reachable", "reachable", "reachable", "installing", "reachable"],
    seenReady: ["reachable", "reachable", "reachable", "installing", "reachable"],
  },
};

const cases = Object.keys(EVENTS).flatMap((name) =>
  STATUSES.flatMap((status, column) =>
    ([false, true] as const).map((seenReady) => ({
      name,
      status,
      seenReady,
      expected: TABLE[name]![seenReady ? "seenReady" : "fresh"][column]!,
    })),
  ),
);

describe("nextNodeStatus", () => {
  test("the table covers every event", () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(EVENTS).sort());
    expect(cases).toHaveLength(Object.keys(EVENTS).length * STATUSES.length * 2);
  });

  test.each(cases)("$status (seen ready: $seenReady) --$name--> $expected", ({ name, status, seenReady, expected }) => {
    const next = nextNodeStatus({ status, seenReady }, EVENTS[name]!);
    expect(next.status).toBe(expected);
    // The memory is never lost, and is gained by being (or having been) ready or running a hive.
    const gains = seenReady || status === "ready" || expected === "ready" || name === "hive-started";
    expect(next.seenReady).toBe(gains);
  });

  test("a node seen ready comes back ready once its hive is re-attached, not before", () => {
    let state = { status: "ready" as NodeStatus, seenReady: false };
    state = nextNodeStatus(state, { type: "probe-down" });
    expect(state).toEqual({ status: "unreachable", seenReady: true });
    state = nextNodeStatus(state, { type: "connected" });
    expect(state.status).toBe("unreachable");
    state = nextNodeStatus(state, { type: "probe-up" });
    expect(state.status).toBe("unreachable");
    expect(awaitsHive(state)).toBe(true);
    expect(nextNodeStatus(state, { type: "hive-started" }).status).toBe("ready");
    const failed = nextNodeStatus(state, { type: "hive-attach-failed" });
    expect(failed).toEqual({ status: "reachable", seenReady: true });
    expect(awaitsHive(failed)).toBe(false);
  });

  test.each(STATUSES.flatMap((status) => [false, true].map((seenReady) => ({ status, seenReady }))))(
    "awaitsHive($status, seen ready: $seenReady)",
    (state) => {
      expect(awaitsHive(state)).toBe(state.seenReady && (state.status === "unknown" || state.status === "unreachable"));
    },
  );
});

describe("stampsContact", () => {
  test.each([
    ["connected", false, true],
    ["connected", true, true],
    ["probe-up", false, false],
    ["probe-up", true, true],
    ["install-succeeded", true, true],
    ["hive-started", true, true],
    ["hive-started", false, false],
    ["hive-attach-failed", true, true],
    ["probe-down", true, false],
    ["connect-failed", true, false],
    ["install-started", true, false],
    ["install-failed(alive)", true, false],
  ] as const)("%s (status changed: %s) → %s", (name, changed, expected) => {
    expect(stampsContact(EVENTS[name]!, changed)).toBe(expected);
  });
});
