import type { ProgressStage } from "../../../shared/contract/streams.js";
import type { ColdStartStage } from "../../lib/pending-view.js";

// The cold start's steps as the user counts them: installing rbee and starting its hive are one;
// a model copied from another node takes the download's place. `queue` is no step of a cold start
// (waiting for a slot has a view of its own).
type Trail = readonly { readonly stages: readonly ProgressStage[]; readonly label: string }[];
const TRAIL: Trail = [
  { stages: ["ssh"], label: "Connect" },
  { stages: ["install", "hive"], label: "Install" },
  { stages: ["download", "copy"], label: "Download" },
  { stages: ["spawn"], label: "Spawn" },
  { stages: ["loading"], label: "Load" },
];
// This computer is neither connected to nor installed: its one step before the download starts its hive.
const LOCAL_TRAIL: Trail = [{ stages: ["ssh", "install", "hive"], label: "Start" }, ...TRAIL.slice(2)];

/** The cold start's steps in a row (fewer on this computer): done ones darker, the current one in the accent colour. */
export function StageTrail({ current, thisComputer = false }: { readonly current: ColdStartStage; readonly thisComputer?: boolean }) {
  const trail = thisComputer ? LOCAL_TRAIL : TRAIL;
  const index = trail.findIndex((step) => step.stages.includes(current));
  return (
    <ol className="mt-2 flex gap-3 text-[11px] text-zinc-400 dark:text-zinc-500" aria-hidden="true">
      {trail.map((step, i) => (
        <li
          key={step.label}
          className={i === index ? "font-semibold text-amber-700 dark:text-amber-300" : i < index ? "text-zinc-600 dark:text-zinc-400" : ""}
        >
          {current === "copy" && step.stages.includes("copy") ? "Copy" : step.label}
        </li>
      ))}
    </ol>
  );
}
