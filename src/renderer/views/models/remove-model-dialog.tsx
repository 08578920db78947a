import { useState } from "react";
import { RbeeError } from "../../../shared/contract/errors.js";
import { ConfirmDialog } from "../../components/confirm-dialog.js";
import { ErrorBox } from "../../components/error-box.js";
import { useNotify } from "../../components/notices.js";
import { describeError, type ErrorText } from "../../lib/error-text.js";
import { shortModelName } from "../../lib/model-choices.js";
import { useModels } from "../../state/fleet-context.js";
import { inUseText } from "./in-use-text.js";
import type { ModelOnNode } from "./models-view.js";

/** Asks before a model file is deleted from a node; a refusal (the model is loaded) is told in words, in the dialog. */
export function RemoveModelDialog({ target, onDone }: { readonly target: ModelOnNode | null; readonly onDone: () => void }) {
  const { actions } = useModels();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorText | null>(null);
  const close = (): void => {
    if (busy) return;
    setFailure(null);
    onDone();
  };

  const remove = async (): Promise<void> => {
    if (!target) return;
    setBusy(true);
    try {
      await actions.remove({ node_name: target.node_name, model_ref: target.model.model_ref });
      notify({ tone: "success", title: `Removed ${shortModelName(target.model.file)} from ${target.node_name}` });
      setBusy(false);
      setFailure(null);
      onDone();
    } catch (error) {
      setBusy(false);
      const text = describeError(error);
      setFailure(error instanceof RbeeError && error.code === "MODEL_IN_USE" ? inUseText(target, text.message) : text);
    }
  };

  const workers = target?.model.workers ?? [];
  return (
    <ConfirmDialog
      open={target !== null}
      title={target ? `Remove ${shortModelName(target.model.file)} from ${target.node_name}?` : ""}
      confirmLabel={busy ? "Removing…" : "Remove model"}
      busy={busy}
      onConfirm={() => void remove()}
      onCancel={close}
    >
      {target ? (
        <>
          <p>
            The file is deleted from the node's models folder and its space freed. Downloading or copying it again brings it back.
          </p>
          {workers.length > 0 ? (
            <p className="mt-2 text-amber-800 dark:text-amber-300">
              In use by {workers.join(", ")}: the node refuses while a worker has it loaded. Stop {workers.length === 1 ? "that worker" : "those workers"} in Workers first.
            </p>
          ) : null}
          {failure ? <ErrorBox className="mt-3" text={failure} /> : null}
        </>
      ) : null}
    </ConfirmDialog>
  );
}
