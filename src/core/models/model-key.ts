import { RbeeError } from "../../shared/contract/index.js";
import { parseModelRef } from "../../shared/contract/model-ref.js";

/**
 * What a hive's catalog keys a model by: an alias resolved to its `hf:` reference, a URL in its
 * normal form, a `file:` model as `file:` and its absolute path. Throws like parseModelRef.
 */
export function modelKey(modelRef: string): string {
  const parsed = parseModelRef(modelRef);
  switch (parsed.kind) {
    case "hf":
      return parsed.canonical;
    case "url":
      return parsed.url.href;
    case "file":
      return `file:${parsed.path}`;
  }
}

/** The key, or undefined for a reference that does not parse (placement then knows nothing of it). */
export function modelKeyOrUndefined(modelRef: string): string | undefined {
  try {
    return modelKey(modelRef);
  } catch {
    return undefined;
  }
}

/**
 * Checks a model_ref of the models routes (download, cancel, remove, copy) and answers its key:
 * the grammar of parseModelRef, and no `..` segment anywhere (a path is never walked out of the
 * models folder, however a URL parser would normalise it). INVALID_REQUEST otherwise.
 */
export function managedModelKey(modelRef: string): string {
  if (/(^|[/:])\.\.([/]|$)/.test(modelRef) || /%2e%2e/i.test(modelRef)) {
    throw new RbeeError("INVALID_REQUEST", `Invalid model_ref '${modelRef}': '..' is not allowed in a model reference`, [
      { field: "model_ref", message: "no '..' segments" },
    ]);
  }
  return modelKey(modelRef);
}
