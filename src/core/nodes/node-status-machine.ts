import type { NodeStatus } from "../../shared/contract/index.js";

/** Something the queen saw happen to a node; the only input that moves its status. */
export type NodeEvent =
  /** An SSH connection to the node opened. */
  | { readonly type: "connected" }
  /** Opening an SSH connection failed. */
  | { readonly type: "connect-failed" }
  /** A health check's command answered. */
  | { readonly type: "probe-up" }
  /** A health check's command failed or timed out. */
  | { readonly type: "probe-down" }
  | { readonly type: "install-started" }
  | { readonly type: "install-succeeded" }
  /** An install failed; `connectionAlive` tells a failed step from a lost node. */
  | { readonly type: "install-failed"; readonly connectionAlive: boolean }
  /** The node's hive runs and answers (started or re-attached). */
  | { readonly type: "hive-started" }
  /** The node answers over SSH but its hive could not be started or attached. */
  | { readonly type: "hive-attach-failed" };

/** The event names, for exhaustive tables. */
export type NodeEventType = NodeEvent["type"];

/** A node's status plus the one memory the machine needs. */
export interface NodeLifeState {
  readonly status: NodeStatus;
  /** The node was `ready` once: after an outage it is ready again only once its hive is re-attached. */
  readonly seenReady: boolean;
}

/**
 * The next state of a node after an event (pure). An install owns the status while it runs, so
 * only its own outcome (or a new install) moves an `installing` node.
 */
export function nextNodeStatus(current: NodeLifeState, event: NodeEvent): NodeLifeState {
  const seenReady = current.seenReady || current.status === "ready";
  const status = nextStatus(current.status, seenReady, event);
  return { status, seenReady: seenReady || status === "ready" || event.type === "hive-started" };
}

function nextStatus(status: NodeStatus, seenReady: boolean, event: NodeEvent): NodeStatus {
  switch (event.type) {
    case "install-started":
      return "installing";
    case "install-succeeded":
      return "ready";
    case "install-failed":
      return event.connectionAlive ? "reachable" : "unreachable";
    default:
      break;
  }
  if (status === "installing") return status;
  switch (event.type) {
    case "connected":
    case "probe-up":
      // A node seen ready waits for its hive (hive-started / hive-attach-failed) to say which it is.
      return cameBack(status) && !seenReady ? "reachable" : status;
    case "probe-down":
      return status === "unknown" ? status : "unreachable";
    case "connect-failed":
      return "unreachable";
    case "hive-started":
      return "ready";
    case "hive-attach-failed":
      return "reachable";
  }
}

const cameBack = (status: NodeStatus): boolean => status === "unknown" || status === "unreachable";

/** Whether a node that answers must get its hive re-attached before it is `ready` again (pure). */
export function awaitsHive(state: NodeLifeState): boolean {
  return state.seenReady && cameBack(state.status);
}

/**
 * Whether a transition records "last contact: now" (pure): a new connection always does; other
 * events that prove the node answers do when they change its status.
 */
export function stampsContact(event: NodeEvent, statusChanged: boolean): boolean {
  switch (event.type) {
    case "connected":
      return true;
    case "probe-up":
    case "install-succeeded":
    case "hive-started":
    case "hive-attach-failed":
      return statusChanged;
    default:
      return false;
  }
}
