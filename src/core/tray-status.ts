import { assertNever, type Beehive, type NodeStatus, type RegisteredWorker } from "../shared/contract/index.js";

/** The tray icon's variants: a node is unreachable · workers are busy or loading · nothing runs. */
export type FleetLevel = "healthy" | "warning" | "idle";

/** What the tray shows, as a pure function of the registries' snapshot. */
export type FleetStatus = {
  readonly level: FleetLevel;
  /** One line of counts ("3 nodes · 2 idle · 1 busy"), then a line naming unreachable nodes, if any. */
  readonly tooltip: string;
  /** The counts line alone, for the tray menu (Linux tray icons show no tooltip). */
  readonly summary: string;
  readonly nodes: number;
  readonly unreachable: readonly string[];
  readonly workers: { readonly total: number; readonly idle: number; readonly busy: number; readonly loading: number };
};

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The fleet's status: `warning` when any node is unreachable; otherwise `healthy` while a worker
 * is busy or loading, and `idle` when nothing runs (no workers, or all of them idle).
 */
export function fleetStatus(nodes: readonly Beehive[], workers: readonly RegisteredWorker[]): FleetStatus {
  const unreachable = nodes.filter((node) => node.status === "unreachable").map((node) => node.node_name).sort();
  const count = { total: workers.length, idle: 0, busy: 0, loading: 0 };
  for (const worker of workers) {
    switch (worker.state) {
      case "idle":
        count.idle += 1;
        break;
      case "busy":
        count.busy += 1;
        break;
      case "loading":
        count.loading += 1;
        break;
      default:
        assertNever(worker.state);
    }
  }
  const level: FleetLevel = unreachable.length > 0 ? "warning" : count.busy + count.loading > 0 ? "healthy" : "idle";
  const parts = [plural(nodes.length, "node"), `${count.idle} idle`, `${count.busy} busy`];
  if (count.loading > 0) parts.push(`${count.loading} loading`);
  const summary = parts.join(" · ");
  const tooltip = unreachable.length > 0 ? `${summary}\nUnreachable: ${unreachable.join(", ")}` : summary;
  return { level, tooltip, summary, nodes: nodes.length, unreachable, workers: count };
}

/** A system notification about a node: it went down, or it came back. */
export type NodeNotice = {
  readonly kind: "down" | "up";
  readonly node_name: string;
  readonly title: string;
  readonly body: string;
};

const UP: readonly NodeStatus[] = ["reachable", "ready", "installing"];

/**
 * The notifications between two snapshots of the nodes: `down` when a node that was up
 * (reachable, ready or installing) is now unreachable, `up` when an unreachable node is up again.
 * The first snapshot (`previous` undefined), new, removed and never-checked nodes give none.
 */
export function nodeTransitions(previous: readonly Beehive[] | undefined, next: readonly Beehive[]): NodeNotice[] {
  if (previous === undefined) return [];
  const before = new Map(previous.map((node) => [node.node_name, node.status]));
  const notices: NodeNotice[] = [];
  for (const node of next) {
    const was = before.get(node.node_name);
    if (was === undefined) continue;
    if (node.status === "unreachable" && UP.includes(was)) {
      notices.push({
        kind: "down",
        node_name: node.node_name,
        title: `${node.node_name} is unreachable`,
        body: `rbee lost its SSH connection to ${node.ssh_user}@${node.ssh_host}; its workers cannot answer until it is back.`,
      });
    } else if (was === "unreachable" && UP.includes(node.status)) {
      notices.push({
        kind: "up",
        node_name: node.node_name,
        title: `${node.node_name} is back`,
        body: `rbee reached ${node.ssh_user}@${node.ssh_host} again.`,
      });
    }
  }
  return notices;
}

/** What a tray menu item does. */
export type TrayAction = "open" | "stop-all-workers" | "quit";

/** One item of the tray menu, free of Electron: the main process turns it into a MenuItem. */
export type TrayMenuItem =
  | { readonly kind: "status"; readonly label: string }
  | { readonly kind: "separator" }
  | { readonly kind: "action"; readonly action: TrayAction; readonly label: string; readonly enabled: boolean };

/** The tray menu: the status line (disabled), Open rbee, Stop all workers (only when some run), Quit. */
export function trayMenu(status: FleetStatus): TrayMenuItem[] {
  return [
    { kind: "status", label: status.summary },
    ...status.unreachable.map((name): TrayMenuItem => ({ kind: "status", label: `⚠ ${name} unreachable` })),
    { kind: "separator" },
    { kind: "action", action: "open", label: "Open rbee", enabled: true },
    { kind: "action", action: "stop-all-workers", label: "Stop all workers", enabled: status.workers.total > 0 },
    { kind: "separator" },
    { kind: "action", action: "quit", label: "Quit", enabled: true },
  ];
}
