import { realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { RbeeError } from "../../shared/contract/index.js";
import { isSafeSegment } from "../../shared/contract/model-ref.js";

/** True when `path` (resolved) lies strictly inside `dir`. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) && !rel.split(sep).includes("..");
}

/** `path` relative to the models folder, with `/` separators (what the inventory reports). */
export function relativeFile(modelsDir: string, path: string): string {
  return relative(resolve(modelsDir), resolve(path)).split(sep).join("/");
}

/**
 * The absolute path of `file` (relative, `/`-separated, each segment plain, a `.gguf`) inside the
 * models folder; INVALID_REQUEST for anything that could point elsewhere.
 */
export function fileInModels(modelsDir: string, file: string): string {
  const segments = file.split("/");
  const why = !segments.every(isSafeSegment)
    ? "each path segment must be letters, digits, '.', '_' or '-' (no '..', no leading '/')"
    : !file.toLowerCase().endsWith(".gguf")
      ? "the file must be a .gguf"
      : undefined;
  if (why) throw new RbeeError("INVALID_REQUEST", `Invalid model file '${file}': ${why}`, [{ field: "file", message: why }]);
  return join(resolve(modelsDir), ...segments);
}

/**
 * Checks that an existing path is inside the models folder once symbolic links are followed:
 * removal and reads never leave it. INVALID_REQUEST otherwise.
 */
export async function assertRealInside(modelsDir: string, path: string, ref: string): Promise<void> {
  const [realDir, realPath] = await Promise.all([realpath(modelsDir), realpath(path).catch(() => resolve(path))]);
  if (!isInside(realDir, realPath)) {
    throw new RbeeError("INVALID_REQUEST", `Invalid model_ref '${ref}': only files inside this node's models folder can be managed`, [
      { field: "model_ref", message: "outside the models folder" },
    ]);
  }
}
