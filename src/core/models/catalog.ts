import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { RbeeError, fieldErrors } from "../../shared/contract/errors.js";
import { builtInCatalog, CatalogFileModel, type CatalogModel } from "../../shared/contract/model-catalog.js";
import { parseModelRef } from "../../shared/contract/model-ref.js";

// What an `RBEE_MODEL_CATALOG` file holds: `{"models": [...]}` (the API's answer), or the list itself.
const CatalogList = z.array(CatalogFileModel).min(1, "list at least one model");
const CatalogObject = z.strictObject({ models: CatalogList });

/**
 * The catalog the queen serves: the built-in one, or the entries of `file` (RBEE_MODEL_CATALOG)
 * instead. A file that cannot be read or is not a valid catalog throws INVALID_REQUEST naming the
 * file and the first bad field, so that the queen refuses to start rather than offer nonsense.
 */
export function loadModelCatalog(file: string | undefined): readonly CatalogModel[] {
  if (file === undefined) return builtInCatalog();
  const path = resolve(file);
  const fail = (why: string, field?: string): RbeeError =>
    new RbeeError(
      "INVALID_REQUEST",
      `RBEE_MODEL_CATALOG ${path}: ${field ? `${field}: ` : ""}${why}`,
      field ? [{ field, message: why }] : undefined,
    );
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`is not JSON (${(error as Error).message})`);
  }
  // Parsed as the shape the file chose, so that an error names the file's own field.
  const bare = Array.isArray(json);
  const parsed = bare ? CatalogList.safeParse(json) : CatalogObject.transform((file) => file.models).safeParse(json);
  if (!parsed.success) {
    const first = fieldErrors(parsed.error)[0];
    throw fail(first?.message ?? "invalid", first && first.field !== "(body)" ? fieldPath(first.field) : undefined);
  }
  const models = parsed.data;
  const seen = new Set<string>();
  const list = bare ? "" : "models";
  models.forEach((model, index) => {
    const at = `${list}[${index}]`;
    if (seen.has(model.alias)) throw fail(`"${model.alias}" is listed twice`, `${at}.alias`);
    seen.add(model.alias);
    try {
      parseModelRef(model.model_ref);
    } catch (error) {
      throw fail((error as Error).message, `${at}.model_ref`);
    }
  });
  return models;
}

/** A zod path ("models.0.model_ref", "0.size_bytes") as a reader writes it: models[0].model_ref, [0].size_bytes. */
function fieldPath(field: string): string {
  return field.split(".").reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === "" ? part : `${path}.${part}`), "");
}
