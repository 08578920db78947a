import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type HiveInventory, type LocalModel, RbeeError } from "../../shared/contract/index.js";
import { freeDiskBytes } from "./disk-space.js";
import { assertRealInside, relativeFile } from "./model-paths.js";
import type { ModelLocation, ModelStore } from "./model-store.js";

/** Which workers have a model file open. */
export type FileUsers = (path: string) => string[];

/** This node's model files, their users, the free disk of the models folder and the running downloads. */
export async function inventory(store: ModelStore, usersOf: FileUsers): Promise<HiveInventory> {
  const models = store.catalog.list().map((model) => ({
    model_ref: model.model_ref,
    file: relativeFile(store.dir, model.path),
    bytes: model.size_bytes,
    ...(model.sha256 ? { sha256: model.sha256 } : {}),
    workers: usersOf(model.path),
  }));
  return { models_dir: resolve(store.dir), disk_free_bytes: await freeDiskBytes(store.dir), models, downloads: store.downloads() };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The model file a model_ref names on this node, with its size and sha256: from the catalog, or
 * (a file: model in the models folder the catalog does not know yet) hashed once and recorded.
 * MODEL_NOT_FOUND when it is not here.
 */
export async function modelFile(store: ModelStore, location: ModelLocation, ref: string): Promise<LocalModel> {
  const known = store.catalog.find(location.key);
  if (known?.sha256) return known;
  const stats = await stat(location.path).catch(() => undefined);
  if (!stats?.isFile()) {
    throw new RbeeError("MODEL_NOT_FOUND", `Model ${ref} is not on ${store.nodeLabel()}: download it there first (or copy it from a node that has it)`);
  }
  await assertRealInside(store.dir, location.path, ref);
  const model: LocalModel = { model_ref: location.key, path: location.path, size_bytes: stats.size, sha256: await sha256Of(location.path) };
  await store.catalog.add(model);
  return model;
}
