import { RbeeError, type ModelFootprint } from "../../shared/contract/index.js";
import type { HiveClient } from "../remote/hive-client.js";

/** What a hive said of a model's footprint: its figures, that it lacks the file, or nothing usable. */
export type FootprintAnswer =
  | { readonly kind: "footprint"; readonly footprint: ModelFootprint }
  | { readonly kind: "absent" }
  | { readonly kind: "unknown"; readonly why: string };

/**
 * A node's answer about a model's footprint, as the placement reads it: MODEL_NOT_FOUND means the
 * node lacks the file; anything else (an older hive without the route, a timeout, a malformed
 * answer) is "unknown", never an error of the caller's.
 */
export async function hiveFootprint(client: Pick<HiveClient, "modelFootprint">, modelRef: string, signal: AbortSignal): Promise<FootprintAnswer> {
  try {
    const footprint = await client.modelFootprint(modelRef, signal);
    return footprint ? { kind: "footprint", footprint } : { kind: "unknown", why: "its hive is older than the footprint route" };
  } catch (error) {
    if (error instanceof RbeeError && error.code === "MODEL_NOT_FOUND") return { kind: "absent" };
    return { kind: "unknown", why: error instanceof Error ? error.message : String(error) };
  }
}
