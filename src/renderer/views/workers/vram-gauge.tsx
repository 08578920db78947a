import { UsageBar } from "../../components/usage-bar.js";
import { formatBytes } from "../../lib/format.js";

/**
 * The GPU memory a worker holds. The hive reports what a worker holds, not the card's size: the
 * bar shows this worker's share of what rbee's workers hold on that device.
 */
export function VramGauge({ bytes, onDevice, where }: { readonly bytes: number | null; readonly onDevice: number; readonly where: string }) {
  if (bytes === null) return <span title="This worker holds no GPU memory (cpu), or its hive did not say">—</span>;
  return (
    <div
      className="flex items-center justify-end gap-2"
      title={`${formatBytes(bytes)} of the ${formatBytes(onDevice)} rbee's workers hold on ${where}`}
    >
      <UsageBar used={bytes} total={Math.max(onDevice, bytes)} label="VRAM held" tone="share" />
      <span>{formatBytes(bytes)}</span>
    </div>
  );
}
