/** A small line of recent values (inline SVG); a gap for a value that is null. Nothing for fewer than two. */
export function Sparkline({
  values,
  label,
  width = 64,
  height = 18,
}: {
  readonly values: readonly (number | null)[];
  readonly label: string;
  readonly width?: number;
  readonly height?: number;
}) {
  const known = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (known.length < 2) return null;
  const max = Math.max(...known);
  const min = Math.min(...known);
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((value, index) =>
    value === null || !Number.isFinite(value) ? null : `${(index * step).toFixed(1)},${(height - 2 - ((value - min) / span) * (height - 4)).toFixed(1)}`,
  );
  // Each run of known values is one polyline: a job without a figure breaks the line.
  const runs: string[][] = [[]];
  for (const point of points) {
    if (point === null) runs.push([]);
    else runs.at(-1)!.push(point);
  }
  return (
    <svg role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`} className="overflow-visible text-sky-500">
      <title>{label}</title>
      {runs
        .filter((run) => run.length > 0)
        .map((run, index) =>
          run.length === 1 ? (
            <circle key={index} cx={run[0]!.split(",")[0]} cy={run[0]!.split(",")[1]} r={1.5} fill="currentColor" />
          ) : (
            <polyline key={index} points={run.join(" ")} fill="none" stroke="currentColor" strokeWidth={1.5} strokeLinejoin="round" strokeLinecap="round" />
          ),
        )}
    </svg>
  );
}
