import { readdir, rm, rmdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { RbeeError } from "../../shared/contract/index.js";
import type { FileUsers } from "./model-inventory.js";
import { assertRealInside, isInside } from "./model-paths.js";
import type { ModelStore } from "./model-store.js";

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** Removes the empty folders between `path` and the models folder (never the folder itself). */
async function pruneEmptyParents(modelsDir: string, path: string): Promise<void> {
  for (let dir = dirname(resolve(path)); isInside(modelsDir, dir); dir = dirname(dir)) {
    if ((await readdir(dir).catch(() => ["?"])).length > 0) return;
    await rmdir(dir).catch(() => undefined);
  }
}

/**
 * Deletes a model from this node's models folder: its file, a partial file left by a broken
 * download or copy, its catalog entry and the folders that become empty. MODEL_IN_USE while a
 * worker has it loaded (or loads it) or a download of it runs; MODEL_NOT_FOUND when it is not here.
 * Nothing outside the models folder is ever removed (see ModelStore.locate).
 */
export async function removeModel(store: ModelStore, usersOf: FileUsers, ref: string): Promise<void> {
  const location = store.locate(ref);
  const users = usersOf(location.path);
  if (users.length > 0) {
    throw new RbeeError("MODEL_IN_USE", `${ref} is in use on ${store.nodeLabel()} by worker ${users.join(", ")}: stop ${users.length > 1 ? "them" : "it"} first`);
  }
  if (store.receiving.has(location.key)) {
    throw new RbeeError("MODEL_IN_USE", `${ref} is being copied to ${store.nodeLabel()}: wait for the copy to end`);
  }
  if (store.isDownloading(location.key)) {
    throw new RbeeError("MODEL_IN_USE", `${ref} is being downloaded on ${store.nodeLabel()}: cancel the download first`);
  }
  const partial = `${location.path}.partial`;
  const [file, part] = await Promise.all([exists(location.path), exists(partial)]);
  if (!file && !part) throw new RbeeError("MODEL_NOT_FOUND", `Model ${ref} is not on ${store.nodeLabel()}`);
  for (const path of [location.path, partial]) {
    if (await exists(path)) {
      await assertRealInside(store.dir, path, ref);
      await rm(path, { force: true });
    }
  }
  await store.catalog.forgetPath(location.path);
  await pruneEmptyParents(store.dir, location.path);
}
