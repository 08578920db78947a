import type { HiveDevices } from "../../../shared/contract/hive.js";
import { EngineStateDot } from "../../components/engine-state-dot.js";
import { nodeEngines } from "../../lib/engine-choice.js";

/** Under a ready node: the engines it can run a model with (ready, built on first use, or what to install). */
export function NodeEnginesRow({ nodeName, devices, columns }: { readonly nodeName: string; readonly devices: HiveDevices | null; readonly columns: number }) {
  if (!devices) return null;
  return (
    <tr data-testid={`engines-row-${nodeName}`} className="border-t-0">
      <td colSpan={columns} className="px-3 pt-0 pb-2">
        <ul className="flex flex-wrap gap-x-4 gap-y-0.5 text-xs text-zinc-600 dark:text-zinc-400" aria-label={`Engines of ${nodeName}`}>
          {nodeEngines(devices).map((engine) => (
            <li key={engine.engine} className="flex min-w-0 items-center gap-1.5" title={engine.title} data-testid={`engine-${engine.engine}`} data-state={engine.state}>
              <EngineStateDot state={engine.state} />
              <span className="shrink-0 font-medium whitespace-nowrap text-zinc-700 dark:text-zinc-300">{engine.engine}</span>
              <span className="min-w-0 break-words">{engine.text}</span>
            </li>
          ))}
          {devices.engine_status === undefined && devices.engines === undefined ? (
            <li className="text-zinc-500 dark:text-zinc-400" data-testid="engines-unreported">
              llama-server and rpc-server: this node&apos;s rbee does not report them; Update it to split models across nodes.
            </li>
          ) : null}
        </ul>
      </td>
    </tr>
  );
}
