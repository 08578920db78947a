import { useId, useState, type FormEvent } from "react";
import type { NodeModels } from "../../../shared/contract/fleet-models.js";
import { DialogHeader } from "../../components/dialog-header.js";
import { FormActions } from "../../components/form-actions.js";
import { LabelledField } from "../../components/labelled-field.js";
import { Select } from "../../components/select.js";
import { shortModelName } from "../../lib/model-choices.js";
import { useModels } from "../../state/fleet-context.js";
import type { ModelOnNode } from "./models-view.js";

/** Picks the node a file is copied to: the reachable others, those that hold it already said so. */
export function CopyModelForm({
  titleId,
  source,
  nodes,
  onClose,
}: {
  readonly titleId: string;
  readonly source: ModelOnNode;
  readonly nodes: readonly NodeModels[];
  readonly onClose: () => void;
}) {
  const { actions } = useModels();
  const id = useId();
  const targets = nodes.filter((node) => node.node_name !== source.node_name && node.error === undefined);
  const holds = (node: NodeModels): boolean => node.models.some((m) => m.file === source.model.file || m.model_ref === source.model.model_ref);
  const [target, setTarget] = useState(targets.find((node) => !holds(node))?.node_name ?? targets[0]?.node_name ?? "");

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!target) return;
    actions.copy({ model_ref: source.model.model_ref, from_node: source.node_name, to_node: target });
    onClose();
  };

  return (
    <form noValidate onSubmit={submit}>
      <DialogHeader
        titleId={titleId}
        title="Copy model"
        description={`${shortModelName(source.model.file)} from ${source.node_name}, through this queen: the nodes need not reach each other. Checked on arrival.`}
        onClose={onClose}
      />
      <div className="px-5 py-4">
        <LabelledField id={`${id}-target`} label="Copy to" hint={targets.length === 0 ? "No other reachable node to copy to." : undefined}>
          <Select
            id={`${id}-target`}
            value={target}
            onChange={setTarget}
            options={targets.map((node) => ({ value: node.node_name, label: holds(node) ? `${node.node_name} (has it already)` : node.node_name }))}
          />
        </LabelledField>
      </div>
      <FormActions>
        <button type="button" className="btn-secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn-primary" disabled={!target}>
          Copy
        </button>
      </FormActions>
    </form>
  );
}
