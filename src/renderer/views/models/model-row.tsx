import type { NodeModel } from "../../../shared/contract/fleet-models.js";
import { DataRow } from "../../components/data-row.js";
import { CopyIcon, TrashIcon } from "../../components/icons.js";
import { RowAction } from "../../components/row-action.js";
import { formatBytes } from "../../lib/format.js";
import { shortModelName } from "../../lib/model-choices.js";

/** One model file on a node: its name and reference, size, digest, the workers using it, and its actions. */
export function ModelRow({
  node,
  model,
  canCopy,
  onCopy,
  onRemove,
}: {
  readonly node: string;
  readonly model: NodeModel;
  readonly canCopy: boolean;
  readonly onCopy: () => void;
  readonly onRemove: () => void;
}) {
  const inUse = model.workers.length;
  // The file's own name; the folder under the node's models folder is in its tooltip.
  const name = shortModelName(model.file);
  return (
    <DataRow testId={`model-row-${node}-${name}`}>
      <td className="td">
        <div className="max-w-[28rem] min-w-0" title={`${model.model_ref}\n${model.file} in the node's models folder`}>
          <div className="truncate font-mono text-[13px] font-medium">{name}</div>
          <div className="truncate text-xs text-zinc-500 dark:text-zinc-400">{model.model_ref}</div>
        </div>
      </td>
      <td className="td text-right tabular-nums text-zinc-700 dark:text-zinc-300">{formatBytes(model.bytes)}</td>
      <td className="td font-mono text-xs text-zinc-600 dark:text-zinc-400" title={model.sha256 ?? "Not known yet: computed when the file is copied or verified"}>
        {model.sha256 ? model.sha256.slice(0, 12) : "—"}
      </td>
      <td className="td" data-testid="model-in-use">
        {inUse > 0 ? (
          <span
            title={`Loaded by ${model.workers.join(", ")}`}
            className="inline-flex items-center rounded-full bg-violet-50 px-2 py-0.5 text-[11px] font-medium text-violet-800 ring-1 ring-violet-600/20 ring-inset dark:bg-violet-400/10 dark:text-violet-300 dark:ring-violet-400/25"
          >
            {inUse === 1 ? "1 worker" : `${inUse} workers`}
          </span>
        ) : (
          <span className="text-xs text-zinc-400 dark:text-zinc-500">not in use</span>
        )}
      </td>
      <td className="td text-right whitespace-nowrap">
        <RowAction
          label={`Copy ${name} from ${node} to another node`}
          icon={<CopyIcon className="size-4" />}
          text="Copy"
          disabled={!canCopy}
          title={canCopy ? `Copy ${name} to another node` : "Another reachable node is needed to copy to"}
          onClick={onCopy}
        />
        <RowAction danger label={`Remove ${name} from ${node}`} icon={<TrashIcon className="size-4" />} text="Remove" onClick={onRemove} />
      </td>
    </DataRow>
  );
}
