import { UsageBar } from "../../components/usage-bar.js";

/** A worker's slots in use, as a bar and as "used/total". */
export function SlotGauge({ used, total }: { readonly used: number; readonly total: number }) {
  return (
    <div className="flex items-center gap-2" title={`${used} of ${total} slots in use`}>
      <UsageBar used={used} total={total} label="Slots in use" />
      <span className="tabular-nums text-zinc-700 dark:text-zinc-300" data-testid="worker-slots">
        {used}/{total}
      </span>
    </div>
  );
}
