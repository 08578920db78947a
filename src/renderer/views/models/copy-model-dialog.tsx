import type { NodeModels } from "../../../shared/contract/fleet-models.js";
import { FormDialog } from "../../components/form-dialog.js";
import { CopyModelForm } from "./copy-model-form.js";
import type { ModelOnNode } from "./models-view.js";

/** The "Copy model" dialog for one file on one node; closed while `source` is null. */
export function CopyModelDialog({ source, nodes, onClose }: { readonly source: ModelOnNode | null; readonly nodes: readonly NodeModels[]; readonly onClose: () => void }) {
  return (
    <FormDialog open={source !== null} onClose={onClose} className="mt-[10vh] max-w-md">
      {(titleId) => (source ? <CopyModelForm titleId={titleId} source={source} nodes={nodes} onClose={onClose} /> : null)}
    </FormDialog>
  );
}
