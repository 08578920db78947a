/** A valid worker registration body (POST /v1/workers/register) for `id`, with `extra` fields over it. */
export function workerRegistration(id: string, extra: Record<string, unknown> = {}) {
  return {
    worker_id: id,
    url: "http://127.0.0.1:9301",
    model_ref: "file:/models/tiny.gguf",
    backend: "cpu",
    device: 0,
    slots_total: 1,
    slots_available: 1,
    ...extra,
  };
}
