import { FormDialog } from "../../components/form-dialog.js";
import { SpawnForm } from "./spawn-form.js";

/** The "Spawn worker" dialog: node, model, backend, engine and the nodes to split across, where it would run, then the spawn's progress. */
export function SpawnWorkerDialog({ open, onClose }: { readonly open: boolean; readonly onClose: () => void }) {
  return (
    <FormDialog open={open} onClose={onClose} className="mt-[4vh] max-w-2xl">
      {(titleId) => <SpawnForm titleId={titleId} onClose={onClose} />}
    </FormDialog>
  );
}
