import type { HiveGpu } from "../../../shared/contract/hive.js";
import { UsageBar } from "../../components/usage-bar.js";
import { gpuFiguresText } from "../../lib/gpu-figures.js";

/** One GPU of a node: its memory bar, load and temperature, as last polled. */
export function GpuRow({ gpu }: { readonly gpu: HiveGpu }) {
  const text = gpuFiguresText(gpu);
  return (
    <div
      className="flex min-w-0 items-center gap-3 whitespace-nowrap text-xs text-zinc-600 tabular-nums dark:text-zinc-400"
      data-testid={`gpu-${gpu.backend}-${gpu.device}`}
      title={text.missing ?? undefined}
    >
      <span className="min-w-24 flex-1 truncate font-medium text-zinc-700 dark:text-zinc-300" title={text.label}>
        {text.label}
      </span>
      {text.bar ? <UsageBar used={text.bar.used} total={text.bar.total} label={`${text.label} memory in use`} /> : null}
      <span className="w-32" data-testid="gpu-memory">
        {text.memory}
      </span>
      <span className="w-16" data-testid="gpu-load">
        load {text.load}
      </span>
      <span className="w-12" data-testid="gpu-temperature">
        {text.temperature}
      </span>
    </div>
  );
}
