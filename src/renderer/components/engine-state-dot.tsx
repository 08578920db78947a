import type { EngineState } from "../lib/engine-choice.js";

const DOT: Readonly<Record<EngineState, string>> = {
  ready: "bg-emerald-500",
  buildable: "bg-amber-500",
  unavailable: "bg-zinc-300 dark:bg-zinc-600",
  unknown: "bg-zinc-300 dark:bg-zinc-600",
};

/** A small dot in an engine's state colour: green ready, amber built on first use, grey otherwise (the words beside it say which). */
export function EngineStateDot({ state, className = "" }: { readonly state: EngineState; readonly className?: string }) {
  return <span className={`size-1.5 shrink-0 rounded-full ${DOT[state]} ${className}`} aria-hidden />;
}
