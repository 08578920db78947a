import type { NodeModel } from "../../../shared/contract/fleet-models.js";
import { ModelRow } from "./model-row.js";

/** A node's model files; a long list scrolls inside its card so that the other nodes stay in view. */
export function ModelsTable({
  node,
  models,
  canCopy,
  onCopy,
  onRemove,
}: {
  readonly node: string;
  readonly models: readonly NodeModel[];
  readonly canCopy: boolean;
  readonly onCopy: (model: NodeModel) => void;
  readonly onRemove: (model: NodeModel) => void;
}) {
  return (
    <div className="max-h-80 overflow-auto">
      <table className="w-full text-sm" aria-label={`Model files on ${node}`}>
        <thead className="sticky top-0 bg-white dark:bg-zinc-900">
          <tr>
            <th className="th">File</th>
            <th className="th text-right">Size</th>
            <th className="th">SHA-256</th>
            <th className="th">In use</th>
            <th className="th w-0">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {models.map((model) => (
            <ModelRow key={model.file} node={node} model={model} canCopy={canCopy} onCopy={() => onCopy(model)} onRemove={() => onRemove(model)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
