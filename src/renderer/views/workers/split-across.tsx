import type { ShardOption } from "../../lib/engine-choice.js";

/**
 * "Split across": the other nodes that could each hold part of the model (an rpc-server each);
 * picking one runs the model on llama-server. A node that cannot says why and cannot be picked.
 */
export function SplitAcross({
  options,
  chosen,
  onToggle,
}: {
  readonly options: readonly ShardOption[];
  readonly chosen: readonly string[];
  readonly onToggle: (nodeName: string, on: boolean) => void;
}) {
  return (
    <fieldset className="col-span-6" data-testid="split-across">
      <legend className="mb-1 text-[13px] font-medium">
        Split across <span className="font-normal text-zinc-400 dark:text-zinc-500">optional · other nodes hold part of the model</span>
      </legend>
      {options.length === 0 ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">Add another node in Nodes to split a model too big for one machine.</p>
      ) : (
        <div className="grid max-h-[6.5rem] grid-cols-2 gap-1.5 overflow-y-auto">
          {options.map((option) => {
            const on = chosen.includes(option.node_name);
            // What a node lacks (its rpc-server cannot run) is said in full: the user has something to install.
            const lacks = option.state === "unavailable" && option.note.startsWith("unavailable:");
            return (
              <label
                key={option.node_name}
                data-testid={`shard-${option.node_name}`}
                title={option.note}
                className={`flex min-w-0 items-start gap-1.5 rounded-md border px-2 py-1 text-xs ${lacks ? "col-span-2" : ""} ${
                  on ? "border-amber-500 bg-amber-50/60 dark:bg-amber-400/5" : "border-zinc-300 dark:border-zinc-700"
                } ${option.disabled ? "cursor-not-allowed opacity-60" : "cursor-pointer"}`}
              >
                <input
                  type="checkbox"
                  className="mt-px accent-amber-600"
                  checked={on}
                  disabled={option.disabled && !on}
                  onChange={(event) => onToggle(option.node_name, event.target.checked)}
                />
                <span className="shrink-0 font-medium text-zinc-800 dark:text-zinc-200">{option.node_name}</span>
                <span className={`min-w-0 text-zinc-500 dark:text-zinc-400 ${lacks ? "" : "truncate"}`}>{option.note}</span>
              </label>
            );
          })}
        </div>
      )}
    </fieldset>
  );
}
