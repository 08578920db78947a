import { useId, useState, type FormEvent } from "react";
import { NodeModelRequest } from "../../../shared/contract/fleet-models.js";
import { DialogHeader } from "../../components/dialog-header.js";
import { FormActions } from "../../components/form-actions.js";
import { LabelledField } from "../../components/labelled-field.js";
import { ModelInput } from "../../components/model-input.js";
import { Select } from "../../components/select.js";
import { modelHolders } from "../../lib/model-holders.js";
import { useFleet, useModels } from "../../state/fleet-context.js";
import { useModelCatalog } from "../../state/use-model-catalog.js";

/** Node and model of a download; the download then runs on the queen and shows under its node. */
export function DownloadModelForm({ titleId, initialNode, onClose }: { readonly titleId: string; readonly initialNode: string; readonly onClose: () => void }) {
  const { nodes, workers } = useFleet();
  const { state, actions } = useModels();
  const catalog = useModelCatalog();
  const id = useId();
  const [node, setNode] = useState(initialNode);
  const [model, setModel] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    // A catalog alias goes as the catalog's reference: the queen's catalog may name models its nodes' built-in one lacks.
    const asked = model.trim();
    const request = NodeModelRequest.safeParse({ node_name: node, model_ref: catalog?.find((entry) => entry.alias === asked)?.model_ref ?? asked });
    if (!request.success) {
      const issue = request.error.issues[0];
      return setInvalid(issue?.path[0] === "node_name" ? "Choose a node." : `Model: ${issue?.message ?? "not valid"}`);
    }
    actions.download(request.data);
    onClose();
  };

  return (
    <form noValidate onSubmit={submit}>
      <DialogHeader
        titleId={titleId}
        title="Download model"
        description="The node fetches the file itself, resuming a partial one. It goes on if you close this window."
        onClose={onClose}
      />
      <div className="space-y-3 px-5 py-4">
        <LabelledField id={`${id}-node`} label="Node">
          <Select id={`${id}-node`} value={node} onChange={setNode} options={(nodes ?? []).map((n) => ({ value: n.node_name, label: `${n.node_name} (${n.status})` }))} />
        </LabelledField>
        <LabelledField id={`${id}-model`} label="Model" hint="A catalog alias (tinyllama), hf:org/repo/file.gguf or https://…/file.gguf." error={invalid ?? undefined}>
          <ModelInput id={`${id}-model`} workers={workers ?? []} catalog={catalog ?? []} holders={modelHolders(state.nodes)} autoFocus value={model} onChange={setModel} />
        </LabelledField>
      </div>
      <FormActions>
        <button type="button" className="btn-secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn-primary" disabled={!nodes?.length}>
          Download
        </button>
      </FormActions>
    </form>
  );
}
