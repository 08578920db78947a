import { assertNever } from "../../shared/contract/errors.js";
import type { NodeStatus } from "../../shared/contract/nodes.js";
import type { WorkerState } from "../../shared/contract/workers.js";

type Tone = "neutral" | "info" | "success" | "warning" | "danger" | "busy";

const TONE_CLASSES: Readonly<Record<Tone, { readonly badge: string; readonly dot: string }>> = {
  neutral: {
    badge: "bg-zinc-100 text-zinc-700 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/20",
    dot: "bg-zinc-400",
  },
  info: {
    badge: "bg-sky-50 text-sky-800 ring-sky-600/20 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/25",
    dot: "bg-sky-500",
  },
  success: {
    badge:
      "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25",
    dot: "bg-emerald-500",
  },
  warning: {
    badge: "bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25",
    dot: "bg-amber-500 animate-pulse",
  },
  danger: {
    badge: "bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/25",
    dot: "bg-red-500",
  },
  busy: {
    badge:
      "bg-violet-50 text-violet-800 ring-violet-600/20 dark:bg-violet-400/10 dark:text-violet-300 dark:ring-violet-400/25",
    dot: "bg-violet-500 animate-pulse",
  },
};

function Badge({ tone, label, title }: { readonly tone: Tone; readonly label: string; readonly title: string }) {
  const classes = TONE_CLASSES[tone];
  return (
    <span
      title={title}
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${classes.badge}`}
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full ${classes.dot}`} />
      {label}
    </span>
  );
}

function nodeTone(status: NodeStatus): { tone: Tone; title: string } {
  switch (status) {
    case "unknown":
      return { tone: "neutral", title: "Not checked yet" };
    case "reachable":
      return { tone: "info", title: "SSH works; the hive is not installed or not answering yet" };
    case "unreachable":
      return { tone: "danger", title: "The last SSH connection failed" };
    case "installing":
      return { tone: "warning", title: "Installing or updating rbee on the node" };
    case "ready":
      return { tone: "success", title: "The hive is installed and answering" };
    default:
      return assertNever(status);
  }
}

function workerTone(state: WorkerState): { tone: Tone; title: string } {
  switch (state) {
    case "loading":
      return { tone: "warning", title: "Loading the model" };
    case "idle":
      return { tone: "success", title: "Ready for a request" };
    case "busy":
      return { tone: "busy", title: "Generating" };
    default:
      return assertNever(state);
  }
}

/** A node's status as a coloured badge. */
export function NodeStatusBadge({ status }: { readonly status: NodeStatus }) {
  const { tone, title } = nodeTone(status);
  return <Badge tone={tone} label={status} title={title} />;
}

/** A worker's state as a coloured badge. */
export function WorkerStateBadge({ state }: { readonly state: WorkerState }) {
  const { tone, title } = workerTone(state);
  return <Badge tone={tone} label={state} title={title} />;
}
