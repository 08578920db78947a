import { describe, expect, it } from "vitest";
import { fleetStatus, nodeTransitions, trayMenu } from "../../src/core/tray-status.js";
import { node, worker } from "../helpers/fleet-rows.js";


describe("fleetStatus", () => {
  it("is healthy while work runs, with the tooltip the spec shows", () => {
    const status = fleetStatus(
      [node("mac", "ready"), node("gpu1", "ready"), node("gpu2", "reachable")],
      [worker("a", "idle"), worker("b", "idle"), worker("c", "busy")],
    );
    expect(status).toEqual({
      level: "healthy",
      tooltip: "3 nodes · 2 idle · 1 busy",
      summary: "3 nodes · 2 idle · 1 busy",
      nodes: 3,
      unreachable: [],
      workers: { total: 3, idle: 2, busy: 1, loading: 0 },
    });
  });

  it("counts a loading worker as work running and shows it", () => {
    const status = fleetStatus([node("mac", "ready")], [worker("a", "loading")]);
    expect(status.level).toBe("healthy");
    expect(status.tooltip).toBe("1 node · 0 idle · 0 busy · 1 loading");
  });

  it("is idle when nothing runs: no nodes, no workers, or only idle workers", () => {
    expect(fleetStatus([], [])).toMatchObject({ level: "idle", tooltip: "0 nodes · 0 idle · 0 busy" });
    expect(fleetStatus([node("mac", "unknown")], []).level).toBe("idle");
    expect(fleetStatus([node("mac", "ready")], [worker("a", "idle")])).toMatchObject({ level: "idle", tooltip: "1 node · 1 idle · 0 busy" });
  });

  it("warns when any node is unreachable, even while work runs, and names the nodes", () => {
    const status = fleetStatus([node("zeta", "unreachable"), node("mac", "ready"), node("alpha", "unreachable")], [worker("a", "busy")]);
    expect(status.level).toBe("warning");
    expect(status.unreachable).toEqual(["alpha", "zeta"]);
    expect(status.summary).toBe("3 nodes · 0 idle · 1 busy");
    expect(status.tooltip).toBe("3 nodes · 0 idle · 1 busy\nUnreachable: alpha, zeta");
  });
});

describe("nodeTransitions", () => {
  it("gives nothing for the first snapshot, even with unreachable nodes", () => {
    expect(nodeTransitions(undefined, [node("mac", "unreachable")])).toEqual([]);
  });

  it("notifies when a node that was up goes unreachable", () => {
    for (const was of ["reachable", "ready", "installing"] as const) {
      const notices = nodeTransitions([node("mac", was)], [node("mac", "unreachable")]);
      expect(notices).toEqual([
        {
          kind: "down",
          node_name: "mac",
          title: "mac is unreachable",
          body: expect.stringContaining("vince@mac.home.arpa"),
        },
      ]);
    }
  });

  it("notifies when an unreachable node is back", () => {
    expect(nodeTransitions([node("mac", "unreachable")], [node("mac", "ready")])).toEqual([
      { kind: "up", node_name: "mac", title: "mac is back", body: "rbee reached vince@mac.home.arpa again." },
    ]);
    expect(nodeTransitions([node("mac", "unreachable")], [node("mac", "reachable")]).map((n) => n.kind)).toEqual(["up"]);
  });

  it("stays quiet for new, removed, unchanged and never-checked nodes, and for moves between up states", () => {
    expect(nodeTransitions([], [node("new", "unreachable")])).toEqual([]);
    expect(nodeTransitions([node("gone", "ready")], [])).toEqual([]);
    expect(nodeTransitions([node("mac", "unreachable")], [node("mac", "unreachable")])).toEqual([]);
    expect(nodeTransitions([node("mac", "unknown")], [node("mac", "unreachable")])).toEqual([]);
    expect(nodeTransitions([node("mac", "reachable")], [node("mac", "installing")])).toEqual([]);
    expect(nodeTransitions([node("mac", "installing")], [node("mac", "ready")])).toEqual([]);
  });

  it("reports each node of a snapshot on its own", () => {
    const notices = nodeTransitions(
      [node("a", "ready"), node("b", "unreachable"), node("c", "ready")],
      [node("a", "unreachable"), node("b", "ready"), node("c", "ready")],
    );
    expect(notices.map((n) => [n.kind, n.node_name])).toEqual([
      ["down", "a"],
      ["up", "b"],
    ]);
  });
});

describe("trayMenu", () => {
  it("shows the status, then Open rbee, Stop all workers and Quit", () => {
    const menu = trayMenu(fleetStatus([node("mac", "ready")], [worker("a", "busy")]));
    expect(menu).toEqual([
      { kind: "status", label: "1 node · 0 idle · 1 busy" },
      { kind: "separator" },
      { kind: "action", action: "open", label: "Open rbee", enabled: true },
      { kind: "action", action: "stop-all-workers", label: "Stop all workers", enabled: true },
      { kind: "separator" },
      { kind: "action", action: "quit", label: "Quit", enabled: true },
    ]);
  });

  it("disables Stop all workers when none run, and lists unreachable nodes", () => {
    const menu = trayMenu(fleetStatus([node("mac", "unreachable")], []));
    expect(menu.slice(0, 2)).toEqual([
      { kind: "status", label: "1 node · 0 idle · 0 busy" },
      { kind: "status", label: "⚠ mac unreachable" },
    ]);
    expect(menu.find((item) => item.kind === "action" && item.action === "stop-all-workers")).toMatchObject({ enabled: false });
  });
});
