import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type HiveReceiveRequest,
  type HiveReceiveStart,
  type LocalModel,
  RbeeError,
} from "../../shared/contract/index.js";
import { parseModelRef } from "../../shared/contract/model-ref.js";
import { freeDiskBytes } from "./disk-space.js";
import { fileInModels } from "./model-paths.js";
import type { ModelLocation, ModelStore } from "./model-store.js";

/** Room left free on the disk beyond the file itself (as for downloads). */
const DISK_MARGIN_BYTES = 64 * 1024 * 1024;

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

/**
 * Where a copied file goes on this node: an hf: or https:// model where a download would put it
 * (so it is found under the same model_ref), a file: model at the same place in this node's models
 * folder as on the sending node's.
 */
export function receiveLocation(store: ModelStore, request: HiveReceiveRequest): ModelLocation {
  if (parseModelRef(request.model_ref).kind !== "file") return store.locate(request.model_ref);
  const path = fileInModels(store.dir, request.file);
  return { key: `file:${path}`, path };
}

/**
 * Prepares a copy to this node: answers how many bytes a partial file left by a broken copy
 * already holds (the copy goes on from there) or that the file is already here, after checking
 * that the disk has room for the rest (NO_CAPACITY naming the node, the bytes needed and free).
 */
export async function startReceive(store: ModelStore, request: HiveReceiveRequest): Promise<HiveReceiveStart> {
  const location = receiveLocation(store, request);
  const present = store.catalog.find(location.key);
  if (present && present.sha256 === request.sha256 && present.size_bytes === request.bytes) return { offset: request.bytes, present: true };
  const partial = `${location.path}.partial`;
  let offset = await sizeOf(partial);
  if (offset > request.bytes) {
    await truncate(partial, 0);
    offset = 0;
  }
  await mkdir(dirname(location.path), { recursive: true });
  const free = await freeDiskBytes(store.dir);
  const needed = request.bytes - offset;
  if (free < needed + DISK_MARGIN_BYTES) {
    throw new RbeeError(
      "NO_CAPACITY",
      `Not enough disk space on ${store.nodeLabel()} for ${request.model_ref}: it needs ${needed} more bytes (plus ${DISK_MARGIN_BYTES} spare), ${free} are free in ${store.dir}`,
    );
  }
  return { offset, present: false };
}

async function hashPrefix(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
}

/**
 * Appends the bytes of a copy, from `offset`, to the partial file; once all `bytes` are there it
 * checks size and sha256 and only then puts the file in place and records it in the catalog. A
 * digest mismatch deletes the partial file (COPY_FAILED); a body that ends early leaves it for a
 * resume (COPY_FAILED too).
 */
export async function receive(store: ModelStore, request: HiveReceiveRequest & { readonly offset: number }, body: Readable): Promise<LocalModel> {
  const location = receiveLocation(store, request);
  if (store.receiving.has(location.key)) {
    throw new RbeeError("COPY_FAILED", `A copy of ${request.model_ref} to ${store.nodeLabel()} is already running`);
  }
  store.receiving.add(location.key);
  try {
    return await append(store, location, request, body);
  } finally {
    store.receiving.delete(location.key);
  }
}

async function append(store: ModelStore, location: ModelLocation, request: HiveReceiveRequest & { readonly offset: number }, body: Readable): Promise<LocalModel> {
  const partial = `${location.path}.partial`;
  const have = await sizeOf(partial);
  if (have !== request.offset) {
    throw new RbeeError("COPY_FAILED", `The partial copy of ${request.model_ref} on ${store.nodeLabel()} holds ${have} bytes, not ${request.offset}: run the copy again`);
  }
  const hash = createHash("sha256");
  if (have > 0) await hashPrefix(partial, hash);
  let size = have;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > request.bytes) {
        done(new RbeeError("COPY_FAILED", `The copy of ${request.model_ref} sent more than its ${request.bytes} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, count, createWriteStream(partial, { flags: "a", highWaterMark: 1024 * 1024 }));
  } catch (error) {
    if (error instanceof RbeeError) throw error;
    throw new RbeeError("COPY_FAILED", `The copy of ${request.model_ref} to ${store.nodeLabel()} broke at ${size} of ${request.bytes} bytes; the partial file stays: run the copy again to resume`);
  }
  if (size < request.bytes) {
    throw new RbeeError("COPY_FAILED", `The copy of ${request.model_ref} to ${store.nodeLabel()} stopped at ${size} of ${request.bytes} bytes; the partial file stays: run the copy again to resume`);
  }
  const digest = hash.digest("hex");
  if (digest !== request.sha256) {
    await rm(partial, { force: true });
    throw new RbeeError("COPY_FAILED", `The copy of ${request.model_ref} to ${store.nodeLabel()} arrived with sha256 ${digest}, not ${request.sha256}; the file was deleted`);
  }
  await rename(partial, location.path);
  const model: LocalModel = { model_ref: location.key, path: location.path, size_bytes: size, sha256: digest };
  await store.catalog.add(model);
  return model;
}
