/** A usage bar: `used` of `total`; a `load` bar (slots) is coloured by how full it is. */
export function UsageBar({
  used,
  total,
  label,
  tone = "load",
}: {
  readonly used: number;
  readonly total: number;
  readonly label: string;
  readonly tone?: "load" | "share";
}) {
  const fraction = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0;
  const fill =
    tone === "share"
      ? "bg-sky-500"
      : fraction >= 1
        ? "bg-violet-500"
        : fraction >= 0.75
          ? "bg-amber-500"
          : fraction > 0
            ? "bg-emerald-500"
            : "bg-transparent";
  return (
    <div
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={used}
      className="h-1.5 w-20 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
    >
      <div className={`h-full rounded-full ${fill}`} style={{ width: `${Math.round(fraction * 100)}%` }} />
    </div>
  );
}
