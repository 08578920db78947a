import { FormDialog } from "../../components/form-dialog.js";
import { SpawnForm } from "./spawn-form.js";

/** The "Spawn worker" dialog: node, model, backend and device, then the spawn's progress. */
export function SpawnWorkerDialog({ open, onClose }: { readonly open: boolean; readonly onClose: () => void }) {
  return (
    <FormDialog open={open} onClose={onClose} className="mt-[8vh] max-w-lg">
      {(titleId) => <SpawnForm titleId={titleId} onClose={onClose} />}
    </FormDialog>
  );
}
