import { CheckIcon, KeyIcon } from "../../components/icons.js";

/** What a passed test found: the round trip, and the host key's fingerprint (selectable, to compare). */
export function TestSummary({ latencyMs, fingerprint }: { readonly latencyMs: number; readonly fingerprint: string }) {
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
      <span className="flex items-center gap-1.5 font-medium text-emerald-800 dark:text-emerald-300">
        <CheckIcon className="size-4" />
        <span>
          Connected in <span data-testid="test-latency">{Math.round(latencyMs)} ms</span>
        </span>
      </span>
      <span className="flex min-w-0 items-center gap-1.5">
        <KeyIcon className="size-4 shrink-0 text-zinc-500" />
        <span className="text-zinc-600 dark:text-zinc-400">Host key</span>
        <code data-testid="host-key-fingerprint" className="font-mono text-[12.5px] break-all text-zinc-900 select-all dark:text-zinc-100">
          {fingerprint}
        </code>
      </span>
    </div>
  );
}
