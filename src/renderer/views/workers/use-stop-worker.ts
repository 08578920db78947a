import { useState } from "react";
import type { RegisteredWorker } from "../../../shared/contract/workers.js";
import { useNotifiedCall } from "../../components/use-notified-call.js";
import { useApi } from "../../state/fleet-context.js";

/**
 * Stopping a worker, told in a notice. `stopping` stays on after success: the row goes away with
 * the next snapshot, and its button should not come back in between.
 */
export function useStopWorker(worker: RegisteredWorker): { readonly stopping: boolean; readonly stop: () => Promise<void> } {
  const api = useApi();
  const notified = useNotifiedCall();
  const [stopping, setStopping] = useState(false);

  const stop = async (): Promise<void> => {
    setStopping(true);
    if (!(await notified(() => api.stopWorker({ id: worker.id }), `Stopped ${worker.id}`, `Could not stop ${worker.id}`))) setStopping(false);
  };
  return { stopping, stop };
}
