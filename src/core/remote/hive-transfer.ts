import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import type { Duplex, Readable } from "node:stream";
import { type HiveReceiveRequest, type LocalModel, ModelDownloadResponse, RbeeError } from "../../shared/contract/index.js";

/** Where a hive is and how to authenticate to it. */
export interface HiveAddress {
  readonly baseUrl: string;
  readonly token: string;
  readonly nodeName: string;
  /** A stream straight to the hive (one SSH channel), instead of a TCP connection to `baseUrl`'s forward. */
  readonly connect?: (() => Promise<Duplex>) | undefined;
}

/** node:http's way to use `connect`: the request waits for the stream, then speaks over it. */
function connection(hive: HiveAddress): Pick<RequestOptions, "createConnection"> {
  const open = hive.connect;
  if (!open) return {};
  return {
    createConnection: (_options, done) => {
      open().then(
        (stream) => done(null, stream),
        (error: Error) => done(error, undefined as never),
      );
      return undefined;
    },
  };
}

async function failure(hive: HiveAddress, response: IncomingMessage): Promise<RbeeError> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    parsed = undefined;
  }
  return RbeeError.fromBody(parsed, `The hive on ${hive.nodeName} answered HTTP ${response.statusCode ?? 0}`);
}

/**
 * A model file's bytes from `offset` on, as a Node stream (the sending end of a copy). Plain
 * node:http streams, not fetch's web streams: a copy moves every byte through this process, and
 * Node streams pass large chunks with little per-chunk work.
 */
export function readModelStream(hive: HiveAddress, modelRef: string, offset: number, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${hive.baseUrl}/v1/models/file?model_ref=${encodeURIComponent(modelRef)}`, {
      method: "GET",
      signal,
      ...connection(hive),
      headers: { authorization: `Bearer ${hive.token}`, ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
    });
    req.once("error", reject);
    req.once("response", (response) => {
      if ((response.statusCode ?? 0) >= 400) failure(hive, response).then(reject, reject);
      else resolve(response);
    });
    req.end();
  });
}

/** Sends a copy's bytes (from `offset`) to the receiving hive; answers the model once it verified and cataloged it. */
export function sendModelStream(hive: HiveAddress, request: HiveReceiveRequest, offset: number, body: Readable, signal: AbortSignal): Promise<LocalModel> {
  const query = new URLSearchParams({ model_ref: request.model_ref, file: request.file, bytes: String(request.bytes), sha256: request.sha256, offset: String(offset) });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${hive.baseUrl}/v1/models/receive?${query.toString()}`, {
      method: "PUT",
      signal,
      ...connection(hive),
      headers: { authorization: `Bearer ${hive.token}`, "content-type": "application/octet-stream", "content-length": String(request.bytes - offset) },
    });
    req.once("error", reject);
    body.once("error", (error) => req.destroy(error));
    req.once("response", async (response) => {
      try {
        if ((response.statusCode ?? 0) >= 400) throw await failure(hive, response);
        const chunks: Buffer[] = [];
        for await (const chunk of response) chunks.push(chunk as Buffer);
        resolve(ModelDownloadResponse.parse(JSON.parse(Buffer.concat(chunks).toString("utf8"))).model);
      } catch (error) {
        reject(error);
      }
    });
    body.pipe(req);
  });
}
