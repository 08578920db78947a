import { FormDialog } from "../../components/form-dialog.js";
import { DownloadModelForm } from "./download-model-form.js";

/** The "Download model" dialog; `node` is the node chosen first, null while closed. */
export function DownloadModelDialog({ node, onClose }: { readonly node: string | null; readonly onClose: () => void }) {
  return (
    <FormDialog open={node !== null} onClose={onClose} className="mt-[10vh] max-w-lg">
      {(titleId) => <DownloadModelForm titleId={titleId} initialNode={node ?? ""} onClose={onClose} />}
    </FormDialog>
  );
}
