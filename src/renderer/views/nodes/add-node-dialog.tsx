import { FormDialog } from "../../components/form-dialog.js";
import { AddNodeForm } from "./add-node-form.js";

/** The "Add node" dialog: fill in, test the connection, confirm the host key, save. */
export function AddNodeDialog({ open, onClose }: { readonly open: boolean; readonly onClose: () => void }) {
  return (
    <FormDialog open={open} onClose={onClose} className="mt-[6vh] max-w-2xl">
      {(titleId) => <AddNodeForm titleId={titleId} onClose={onClose} />}
    </FormDialog>
  );
}
