import type { NodeStatus } from "../../shared/contract/nodes.js";
import type { WorkerState } from "../../shared/contract/workers.js";

type Tone = "neutral" | "info" | "success" | "warning" | "danger" | "busy";

// The badge's colours and its dot's, per tone; a dot pulses while something is under way.
const TONE_CLASSES: Readonly<Record<Tone, readonly [badge: string, dot: string]>> = {
  neutral: ["bg-zinc-100 text-zinc-700 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/20", "bg-zinc-400"],
  info: ["bg-sky-50 text-sky-800 ring-sky-600/20 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/25", "bg-sky-500"],
  success: [
    "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25",
    "bg-emerald-500",
  ],
  warning: [
    "bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25",
    "bg-amber-500 animate-pulse",
  ],
  danger: ["bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/25", "bg-red-500"],
  busy: [
    "bg-violet-50 text-violet-800 ring-violet-600/20 dark:bg-violet-400/10 dark:text-violet-300 dark:ring-violet-400/25",
    "bg-violet-500 animate-pulse",
  ],
};

type Meaning = readonly [tone: Tone, title: string];

// Records over the status types: a new status does not compile until it has a colour and a title.
const NODE_STATUS: Readonly<Record<NodeStatus, Meaning>> = {
  unknown: ["neutral", "Not checked yet"],
  reachable: ["info", "SSH works; the hive is not installed or not answering yet"],
  unreachable: ["danger", "The last SSH connection failed"],
  installing: ["warning", "Installing or updating rbee on the node"],
  ready: ["success", "The hive is installed and answering"],
};

const WORKER_STATE: Readonly<Record<WorkerState, Meaning>> = {
  loading: ["warning", "Loading the model"],
  idle: ["success", "Ready for a request"],
  busy: ["busy", "Generating"],
};

/** A status word in a coloured pill, with what it means on hover. */
function Badge({ label, meaning: [tone, title] }: { readonly label: string; readonly meaning: Meaning }) {
  const [badge, dot] = TONE_CLASSES[tone];
  return (
    <span
      title={title}
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${badge}`}
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full ${dot}`} />
      {label}
    </span>
  );
}

// This computer is never "checked" before its first use: its hive simply has not started yet.
const LOCAL_NOT_STARTED: Meaning = ["neutral", "Its hive starts with the first model run here"];

/** A node's status as a coloured badge; this computer's unchecked status reads "not started". */
export function NodeStatusBadge({ status, local = false }: { readonly status: NodeStatus; readonly local?: boolean }) {
  if (local && status === "unknown") return <Badge label="not started" meaning={LOCAL_NOT_STARTED} />;
  return <Badge label={status} meaning={NODE_STATUS[status]} />;
}

/** A worker's state as a coloured badge. */
export function WorkerStateBadge({ state }: { readonly state: WorkerState }) {
  return <Badge label={state} meaning={WORKER_STATE[state]} />;
}
