import type { FitKind, FitVerdict } from "../../lib/model-fit.js";

const TONE: Readonly<Record<FitKind, string>> = {
  fits: "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25",
  tight: "bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25",
  "too-big": "bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/25",
  unknown: "bg-zinc-100 text-zinc-600 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-400 dark:ring-zinc-400/20",
};

/** Whether a model fits this computer, as a coloured word; the numbers behind it on hover. */
export function FitBadge({ fit }: { readonly fit: FitVerdict }) {
  return (
    <span
      data-testid="model-fit"
      data-fit={fit.kind}
      title={fit.detail}
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-[11px] font-medium whitespace-nowrap ring-1 ring-inset ${TONE[fit.kind]}`}
    >
      {fit.label}
    </span>
  );
}
