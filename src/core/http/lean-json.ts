import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { RbeeError } from "../../shared/contract/index.js";
import { reportedError } from "../errors.js";
import { assertHostAccepted, type HostPolicy } from "./host-check.js";

/**
 * JSON in and out on bare node:http, for the routes that must cost little more than node:http
 * itself (the worker callbacks: every worker of every node beats here). What they read and answer
 * is what `express.json({ limit: "1mb" })` and `res.json` do, without Express's per-request layers.
 */

/** The body limit of every JSON route, as `express.json({ limit: "1mb" })`. */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** An error as body-parser raises it: src/core/errors.ts maps its `type` to the coded error, for both paths alike. */
function bodyError(type: "entity.too.large" | "entity.parse.failed" | "encoding.unsupported", message: string): Error {
  return Object.assign(new Error(message), { type });
}

/** Whether the request says it carries JSON: `application/json` as type-is reads it (case and parameters aside). */
function contentTypeIsJson(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semicolon = header.indexOf(";");
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase() === "application/json";
}

/** The `charset` parameter of a Content-Type, lower case; undefined when it names none. */
export function charsetOf(header: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(header);
  return match?.[1]?.toLowerCase();
}

/**
 * Reads a request's JSON body as `express.json` does: undefined when the request has no body or
 * does not say it is JSON; `{}` for an empty one; an object or array (strict), else "not valid
 * JSON"; UTF-8 only (a charset other than UTF-8, or a Content-Encoding, is refused); past
 * JSON_BODY_LIMIT refused once the rest is read off, so the connection stays usable.
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const { headers } = req;
  const hasBody = headers["transfer-encoding"] !== undefined || !Number.isNaN(Number(headers["content-length"] ?? Number.NaN));
  const type = headers["content-type"];
  if (!hasBody || !contentTypeIsJson(type)) {
    req.resume();
    return Promise.resolve(undefined);
  }
  const charset = charsetOf(type!);
  const encoding = (headers["content-encoding"] ?? "identity").toLowerCase();
  const refusal =
    (charset !== undefined && charset !== "utf-8" && charset !== "utf8") || encoding !== "identity"
      ? bodyError("encoding.unsupported", "only UTF-8 JSON, not compressed")
      : Number(headers["content-length"]) > JSON_BODY_LIMIT
        ? bodyError("entity.too.large", "request entity too large")
        : undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let failure = refusal;
    req.on("data", (chunk: Buffer) => {
      if (failure) return;
      received += chunk.length;
      if (received > JSON_BODY_LIMIT) {
        failure = bodyError("entity.too.large", "request entity too large");
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      if (failure) {
        reject(failure);
        return;
      }
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString("utf8");
      try {
        resolve(parseStrictJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** body-parser's strict JSON: empty is `{}`, otherwise an object or an array. */
function parseStrictJson(text: string): unknown {
  const first = text[0] === "{" ? "{" : (/^[\x20\x09\x0a\x0d]*(.|$)/s.exec(text)?.[1] ?? "");
  if (first === "") return {};
  if (first !== "{" && first !== "[") throw bodyError("entity.parse.failed", "not a JSON object or array");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw bodyError("entity.parse.failed", "not valid JSON");
  }
}

/** Answers JSON as `res.status(status).json(body)` does (headers set before, e.g. nosniff, stay). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Answers anything thrown as the API's error body (src/core/http/errors.ts), logging an unexpected one. */
export function sendError(res: ServerResponse, error: unknown, where: string, log: (message: string) => void): void {
  const rbeeError: RbeeError = reportedError(error, where, log);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, rbeeError.status, rbeeError.toBody());
}

/** A request's path without its query, as Express's `req.path`. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** What a listener of lean routes needs: the listener's Host policy and headers, a log, and where other requests go. */
export interface LeanListenerOptions {
  readonly policy: HostPolicy;
  /** Headers every answer of the listener carries, set before anything else. */
  readonly headers?: ((res: ServerResponse) => void) | undefined;
  readonly log: (message: string) => void;
  readonly otherwise: RequestListener;
}

/** Sets the listener's headers and checks the Host header; false once a refused request has been answered. */
export function admitted(req: IncomingMessage, res: ServerResponse, options: Omit<LeanListenerOptions, "otherwise">): boolean {
  options.headers?.(res);
  try {
    assertHostAccepted(req, options.policy);
    return true;
  } catch (error) {
    sendError(res, error, `${req.method} ${pathOf(req)}`, options.log);
    return false;
  }
}
