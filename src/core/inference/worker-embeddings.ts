import { RbeeError, WorkerEmbeddingsResponse, type RegisteredWorker } from "../../shared/contract/index.js";
import type { WorkerEndpoint } from "../fleet/worker-endpoints.js";

/**
 * Asks a booked worker for the embeddings of `input` (`POST /v1/embeddings` on the worker) and
 * checks its answer: one vector per input, each of the model's size. A refusal keeps the worker's
 * code (NO_CAPACITY makes the caller place the request again); a broken answer is WORKER_FAILED.
 */
export async function postEmbeddings(
  endpoint: WorkerEndpoint,
  worker: RegisteredWorker,
  input: readonly string[],
  signal: AbortSignal,
): Promise<WorkerEmbeddingsResponse> {
  const response = await fetch(`${endpoint.baseUrl}/v1/embeddings`, {
    method: "POST",
    headers: { authorization: `Bearer ${endpoint.token}`, "content-type": "application/json" },
    body: JSON.stringify({ input }),
    signal,
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw RbeeError.fromBody(body, `Worker ${worker.id} answered HTTP ${response.status}`);
  const parsed = WorkerEmbeddingsResponse.safeParse(body);
  if (!parsed.success || parsed.data.embeddings.length !== input.length || parsed.data.embeddings.some((vector) => vector.length !== parsed.data.dimensions)) {
    throw new RbeeError("WORKER_FAILED", `Worker ${worker.id} answered embeddings outside the contract`);
  }
  return parsed.data;
}
