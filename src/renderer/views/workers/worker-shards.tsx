import type { WorkerShard } from "../../../shared/contract/workers.js";
import { formatBytes } from "../../lib/format.js";

const SHOWN = 2;

/** A split worker's other nodes under its own: each node and the bytes it holds, two at most (all of them on hover). */
export function WorkerShards({ shards }: { readonly shards: readonly WorkerShard[] }) {
  const all = shards.map((shard) => `${shard.node_name} ${shard.device}: ${shard.bytes > 0 ? formatBytes(shard.bytes) : "loading"}`).join("\n");
  const more = shards.length - SHOWN;
  return (
    <ul className="mt-0.5 max-w-40 text-xs text-zinc-500 tabular-nums dark:text-zinc-400" title={`Holds part of the model:\n${all}`} data-testid="worker-shards">
      {shards.slice(0, SHOWN).map((shard) => (
        <li key={`${shard.node_name}:${shard.device}`} className="flex min-w-0 gap-1">
          <span aria-hidden>+</span>
          <span className="min-w-0 truncate text-zinc-700 dark:text-zinc-300">{shard.node_name}</span>
          <span className="shrink-0">{shard.bytes > 0 ? formatBytes(shard.bytes) : "…"}</span>
        </li>
      ))}
      {more > 0 ? <li>+ {more} more</li> : null}
    </ul>
  );
}
