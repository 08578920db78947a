import { AlertIcon, CheckIcon, SpinnerIcon } from "../../components/icons.js";
import { describeCodedError } from "../../lib/error-text.js";
import { formatBytes } from "../../lib/format.js";
import { describePlacement, splitChoice, type PlacementPart, type PlacementView } from "../../lib/placement-text.js";
import type { PreviewAnswer, PreviewState } from "../../lib/placement-previewer.js";

const SEGMENT = ["bg-sky-500", "bg-violet-500", "bg-emerald-500", "bg-amber-500", "bg-rose-500", "bg-teal-500"];

/**
 * What the queen would do with the chosen model before the user confirms: one node, or a split
 * with the bytes each node holds, and why; why it fits nowhere in the error style, with where it would fit.
 */
export function PlacementPreview({
  state,
  splitChosen,
  onUse,
}: {
  readonly state: PreviewState;
  /** The user picked nodes to split across. */
  readonly splitChosen: boolean;
  /** Takes the nodes the queen would use when the chosen ones cannot hold the model. */
  readonly onUse: (choice: { readonly node: string; readonly shards: readonly string[] }) => void;
}) {
  const shown = state.kind === "answer" ? state.answer : state.kind === "loading" ? state.last : null;
  return (
    <section aria-label="Placement preview" aria-live="polite" data-testid="placement-preview" data-state={state.kind} className="col-span-6">
      <div className="mb-1 flex items-baseline gap-2 text-[13px] font-medium">
        Where it would run
        {state.kind === "loading" ? (
          <>
            <SpinnerIcon className="size-3.5 self-center text-zinc-400" />
            <span className="sr-only">asking the queen</span>
          </>
        ) : null}
      </div>
      {state.kind === "idle" ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">Choose a model: the queen says where it fits before you spawn.</p>
      ) : state.kind === "failed" ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="placement-unavailable">
          No preview: {describeCodedError(state).title.toLowerCase()} ({state.message}). You can still spawn.
        </p>
      ) : shown ? (
        <AnswerView answer={shown} stale={state.kind === "loading"} splitChosen={splitChosen} onUse={onUse} />
      ) : (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">Asking the queen where it fits…</p>
      )}
    </section>
  );
}

function AnswerView({
  answer,
  stale,
  splitChosen,
  onUse,
}: {
  readonly answer: PreviewAnswer;
  readonly stale: boolean;
  readonly splitChosen: boolean;
  readonly onUse: (choice: { node: string; shards: readonly string[] }) => void }) {
  const view = describePlacement(answer.preview);
  const elsewhere = answer.elsewhere ? describePlacement(answer.elsewhere) : null;
  const nowhere = view.kind === "none";
  return (
    <div
      data-testid="placement-answer"
      data-kind={view.kind}
      className={`rounded-lg border p-2.5 text-xs transition-opacity ${stale ? "opacity-60" : ""} ${
        nowhere
          ? "border-red-600/25 bg-red-50 dark:border-red-400/25 dark:bg-red-400/5"
          : "border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-950/40"
      }`}
    >
      <p className={`flex items-center gap-1.5 text-sm font-medium ${nowhere ? "text-red-800 dark:text-red-300" : ""}`} data-testid="placement-headline">
        {nowhere ? <AlertIcon className="size-4 shrink-0 text-red-600 dark:text-red-400" /> : <CheckIcon className="size-4 shrink-0 text-emerald-600" />}
        {view.headline}
      </p>
      <p className="mt-0.5 text-zinc-700 dark:text-zinc-300" data-testid="placement-reason">
        {view.reason}
      </p>
      {view.need ? <p className="mt-0.5 text-zinc-500 dark:text-zinc-400">{view.need}</p> : null}
      {view.kind === "split" ? <SplitParts parts={view.parts} /> : null}
      {view.kind === "single" && splitChosen ? (
        <p className="mt-0.5 text-amber-700 dark:text-amber-400" data-testid="placement-split-unneeded">
          It fits on one node: the split you chose is not needed and only adds network traffic between the nodes.
        </p>
      ) : null}
      {view.leftOut.length > 0 ? (
        <p className="mt-1 truncate text-zinc-500 dark:text-zinc-400" title={view.leftOut.join("\n")}>
          Left out: {view.leftOut.join(" · ")}
        </p>
      ) : null}
      {nowhere && elsewhere && answer.elsewhere ? <Elsewhere view={elsewhere} onUse={() => applyElsewhere(answer, onUse)} /> : null}
    </div>
  );
}

function applyElsewhere(answer: PreviewAnswer, onUse: (choice: { node: string; shards: readonly string[] }) => void): void {
  const placement = answer.elsewhere?.placement;
  if (!placement) return;
  onUse(splitChoice(answer.elsewhere!) ?? { node: placement.node_name, shards: [] });
}

function Elsewhere({ view, onUse }: { readonly view: PlacementView; readonly onUse: () => void }) {
  return (
    <div className="mt-2 flex items-center gap-2 border-t border-red-600/15 pt-2 text-zinc-700 dark:text-zinc-300" data-testid="placement-elsewhere">
      <span className="min-w-0 flex-1">
        Among all nodes: <span className="font-medium">{view.headline}</span>
      </span>
      <button type="button" className="btn-secondary h-7 shrink-0 text-xs" onClick={onUse}>
        Use these nodes
      </button>
    </div>
  );
}

/** A split: one bar with a segment per node, and under it each node's bytes. */
function SplitParts({ parts }: { readonly parts: readonly PlacementPart[] }) {
  return (
    <div className="mt-1.5" data-testid="placement-split">
      <div className="flex h-2 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="img" aria-label={parts.map(partLabel).join(", ")}>
        {parts.map((part, index) => (
          <div key={part.node_name} className={`h-full ${SEGMENT[index % SEGMENT.length]}`} style={{ width: `${part.share * 100}%` }} />
        ))}
      </div>
      <ul className="mt-1 flex flex-wrap gap-x-3 gap-y-0.5 text-zinc-600 tabular-nums dark:text-zinc-400">
        {parts.map((part, index) => (
          <li key={part.node_name} className="flex items-center gap-1" data-testid={`placement-part-${part.node_name}`}>
            <span className={`size-2 rounded-sm ${SEGMENT[index % SEGMENT.length]}`} aria-hidden />
            <span className="font-medium text-zinc-800 dark:text-zinc-200">{part.node_name}</span>
            <span>
              {formatBytes(part.bytes)} · {part.role === "main" ? `llama-server, ${part.backend}` : `rpc-server, ${part.backend}`}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function partLabel(part: PlacementPart): string {
  return `${part.node_name} holds ${formatBytes(part.bytes)} (${Math.round(part.share * 100)}%)`;
}
