/** A thin progress bar: determinate when `fraction` is known, an indeterminate sweep otherwise. */
export function ProgressBar({
  fraction,
  label,
  tone = "amber",
  className = "",
}: {
  readonly fraction: number | null;
  /** What the bar measures, for assistive technology. */
  readonly label: string;
  readonly tone?: "amber" | "red" | "emerald";
  readonly className?: string;
}) {
  const fill = { amber: "bg-amber-500", red: "bg-red-500", emerald: "bg-emerald-500" }[tone];
  const percent = fraction === null ? null : Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
      data-state={percent === null ? "indeterminate" : "determinate"}
      className={`relative h-1.5 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800 ${className}`}
    >
      {percent === null ? (
        <div className={`animate-indeterminate absolute inset-y-0 w-1/3 rounded-full ${fill}`} />
      ) : (
        <div className={`h-full rounded-full transition-[width] duration-300 ${fill}`} style={{ width: `${percent}%` }} />
      )}
    </div>
  );
}
