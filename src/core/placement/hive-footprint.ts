import { ModelFootprint, RbeeError } from "../../shared/contract/index.js";
import type { HiveClient } from "../remote/hive-client.js";

/** What a hive said of a model's footprint: its figures, that it lacks the file, or nothing usable. */
export type FootprintAnswer =
  | { readonly kind: "footprint"; readonly footprint: ModelFootprint }
  | { readonly kind: "absent" }
  | { readonly kind: "unknown"; readonly why: string };

/**
 * `GET /v1/models/info?model_ref=` on a node's hive: what the model's file needs in memory, read from
 * its GGUF header there. MODEL_NOT_FOUND means the node lacks the file; anything else (an older hive
 * without the route, a timeout, a malformed answer) is "unknown", never an error of the caller's.
 */
export async function hiveFootprint(client: Pick<HiveClient, "address">, modelRef: string, signal: AbortSignal): Promise<FootprintAnswer> {
  const { baseUrl, token } = client.address();
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/v1/models/info?${new URLSearchParams({ model_ref: modelRef }).toString()}`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      signal,
    });
  } catch (error) {
    return { kind: "unknown", why: `no answer (${(error as Error).message})` };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const failure = RbeeError.fromBody(body, `HTTP ${response.status}`);
    return failure.code === "MODEL_NOT_FOUND" ? { kind: "absent" } : { kind: "unknown", why: failure.message };
  }
  const parsed = ModelFootprint.safeParse(body);
  return parsed.success ? { kind: "footprint", footprint: parsed.data } : { kind: "unknown", why: "its answer is outside the contract" };
}
