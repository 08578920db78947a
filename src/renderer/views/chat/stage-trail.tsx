import type { ProgressStage } from "../../../shared/contract/streams.js";

const STAGES: readonly ProgressStage[] = ["ssh", "install", "hive", "download", "spawn", "loading"];

// The cold start's steps as the user counts them: installing rbee and starting its hive are one.
const TRAIL: readonly { readonly stages: readonly ProgressStage[]; readonly label: string }[] = [
  { stages: ["ssh"], label: "Connect" },
  { stages: ["install", "hive"], label: "Install" },
  { stages: ["download"], label: "Download" },
  { stages: ["spawn"], label: "Spawn" },
  { stages: ["loading"], label: "Load" },
];

/** The stage a stored progress names, if it is one this renderer knows. */
export function knownStage(stage: string | undefined): ProgressStage | undefined {
  return STAGES.find((s) => s === stage);
}

/** The cold start's steps in a row: done ones darker, the current one in the accent colour. */
export function StageTrail({ current }: { readonly current: ProgressStage }) {
  const index = TRAIL.findIndex((step) => step.stages.includes(current));
  return (
    <ol className="mt-2 flex gap-3 text-[11px] text-zinc-400 dark:text-zinc-500" aria-hidden="true">
      {TRAIL.map((step, i) => (
        <li
          key={step.label}
          className={i === index ? "font-semibold text-amber-700 dark:text-amber-300" : i < index ? "text-zinc-600 dark:text-zinc-400" : ""}
        >
          {step.label}
        </li>
      ))}
    </ol>
  );
}
