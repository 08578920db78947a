import type { HiveWorker, RegisterWorkerRequest } from "../../shared/contract/index.js";

/** The registration a hive's view of one of its running workers amounts to. */
export function registrationOf(worker: HiveWorker): RegisterWorkerRequest {
  return {
    worker_id: worker.id,
    url: worker.url,
    model_ref: worker.model_ref,
    backend: worker.backend,
    device: worker.device,
    slots_total: worker.slots_total,
    slots_available: Math.min(worker.slots_available, worker.slots_total),
    state: worker.state,
    ...(worker.engine !== undefined ? { engine: worker.engine } : {}),
  };
}
