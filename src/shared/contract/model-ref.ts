// The model_ref grammar, without Node: the queen checks a reference before it
// schedules anything, the hive resolves it to a file to download or open.
import { RbeeError } from "./errors.js";
import { MODEL_ALIASES, findAlias } from "./model-catalog.js";
import { isLoopbackHost } from "../net.js";

/** A model on the hub: `hf:<org>/<repo>/<file…>.gguf`, or a catalog alias standing for one. */
export interface HubModelRef {
  readonly kind: "hf";
  /** The reference as the caller wrote it (an alias stays an alias). */
  readonly ref: string;
  /** The `hf:` reference after alias resolution: what the hive's local catalog is keyed by. */
  readonly canonical: string;
  readonly org: string;
  readonly repo: string;
  /** The file's path in the repository, one entry per segment. */
  readonly file: readonly string[];
  /** Known size and digest of a catalog alias. */
  readonly sizeBytes?: number;
  readonly sha256?: string;
}

/** A model file behind an `https://…/x.gguf` URL (plain http only on loopback). */
export interface UrlModelRef {
  readonly kind: "url";
  readonly ref: string;
  readonly url: URL;
  /** The URL's last path segment, decoded: the name of the file. */
  readonly fileName: string;
}

/** A model file already on the node: `file:/abs/path.gguf`. */
export interface FileModelRef {
  readonly kind: "file";
  readonly ref: string;
  /** The absolute path on the node (POSIX). */
  readonly path: string;
}

export type ParsedModelRef = HubModelRef | UrlModelRef | FileModelRef;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ALIAS = /^[a-z0-9][a-z0-9._-]*$/;

/** True when `segment` may be one path segment of a file the hive stores (no `.`, `..` or odd characters). */
export function isSafeSegment(segment: string): boolean {
  return SEGMENT.test(segment) && segment !== "." && segment !== "..";
}

function invalid(ref: string, why: string): RbeeError {
  return new RbeeError("INVALID_REQUEST", `Invalid model_ref '${ref}': ${why}`, [{ field: "model_ref", message: why }]);
}

function isGguf(name: string): boolean {
  return name.toLowerCase().endsWith(".gguf");
}

/**
 * Checks that a download URL is allowed: https anywhere, plain http only to a loopback host
 * (the tests' servers); never credentials in the URL.
 */
export function checkDownloadUrl(value: string, what = "URL"): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RbeeError("INVALID_REQUEST", `${what} '${value}' is not a valid URL`);
  }
  if (url.username || url.password) {
    throw new RbeeError("INVALID_REQUEST", `${what} must not carry credentials (use HF_TOKEN for the hub)`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === "http:") {
    throw new RbeeError("INVALID_REQUEST", `${what} '${value}' uses plain http: only https is allowed (http only on loopback)`);
  }
  throw new RbeeError("INVALID_REQUEST", `${what} '${value}' must be an https URL`);
}

/** A URL as messages show it: no query or fragment, which may carry a CDN's signature. */
function shown(url: URL): string {
  return url.protocol === "http:" || url.protocol === "https:" ? `${url.origin}${url.pathname}` : `a ${url.protocol} URL`;
}

/**
 * Checks where a download redirect leads: `location` resolved against `from`, the URL that
 * answered. A redirect may go to https anywhere; to plain http only from plain http (a loopback
 * test server, since only those are allowed to start with) and only to loopback. It never
 * downgrades https to http, never leaves http(s) and never carries credentials. Throws
 * DOWNLOAD_FAILED: the request was valid, the server's answer is not.
 */
export function checkRedirectUrl(from: URL, location: string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new RbeeError("DOWNLOAD_FAILED", `Refused the redirect from ${shown(from)}: its Location is not a valid URL`);
  }
  const refuse = (why: string): RbeeError =>
    new RbeeError("DOWNLOAD_FAILED", `Refused the redirect from ${shown(from)} to ${shown(next)}: ${why}`);
  if (next.protocol !== "https:" && next.protocol !== "http:") throw refuse("a download never leaves http(s)");
  if (next.username || next.password) throw refuse("a redirect must not carry credentials");
  if (next.protocol === "http:") {
    if (from.protocol !== "http:") throw refuse("it would downgrade https to plain http");
    if (!isLoopbackHost(next.hostname)) throw refuse("plain http is allowed only on loopback");
  }
  return next;
}

function parseHf(ref: string, extra: { sizeBytes?: number; sha256?: string }): HubModelRef {
  const segments = ref.slice("hf:".length).split("/");
  if (segments.length < 3) throw invalid(ref, "use hf:<org>/<repo>/<file>.gguf");
  for (const segment of segments) {
    if (!isSafeSegment(segment)) throw invalid(ref, `'${segment}' is not a valid path segment (letters, digits, '.', '_', '-')`);
  }
  const [org, repo, ...file] = segments as [string, string, ...string[]];
  if (!isGguf(file[file.length - 1] ?? "")) throw invalid(ref, "the file must be a .gguf");
  return { kind: "hf", ref, canonical: ref, org, repo, file, ...extra };
}

function parseUrl(ref: string): UrlModelRef {
  const url = checkDownloadUrl(ref, "model URL");
  const fileName = decodeURIComponent(url.pathname.split("/").pop() ?? "");
  if (!isGguf(fileName)) throw invalid(ref, "the URL must name a .gguf file");
  return { kind: "url", ref, url, fileName };
}

/** The POSIX path of a `file:` URL, as Node's fileURLToPath finds it on Linux and macOS. */
function posixPath(url: URL): string {
  if (url.hostname !== "") throw new TypeError("a file URL names no host");
  if (/%2f/i.test(url.pathname)) throw new TypeError("a file URL path must not encode '/'");
  return decodeURIComponent(url.pathname);
}

function parseFile(ref: string): FileModelRef {
  if (!ref.startsWith("file:/")) throw invalid(ref, "use file:/absolute/path.gguf");
  let path: string;
  try {
    path = posixPath(new URL(ref));
  } catch {
    throw invalid(ref, "use file:/absolute/path.gguf on this node");
  }
  if (!path.startsWith("/")) throw invalid(ref, "the path must be absolute");
  if (!isGguf(path)) throw invalid(ref, "the file must be a .gguf");
  return { kind: "file", ref, path };
}

/**
 * Parses a model_ref: `hf:<org>/<repo>/<file>.gguf`, `https://…/x.gguf`,
 * `file:/abs/path.gguf` or an alias of the built-in catalog. Throws INVALID_REQUEST for a malformed
 * reference and MODEL_NOT_FOUND for an unknown alias.
 */
export function parseModelRef(ref: string): ParsedModelRef {
  if (ref.startsWith("hf:")) return parseHf(ref, {});
  if (ref.startsWith("file:")) return parseFile(ref);
  if (/^https?:/i.test(ref)) return parseUrl(ref);
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) throw invalid(ref, "use hf:, https:, file: or a catalog alias");
  // A bare name is an alias: letters, digits, '.', '_' and '-' only (nothing a shell would read).
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ref)) throw invalid(ref, "a catalog alias is letters, digits, '.', '_' and '-'");
  const alias = ALIAS.test(ref) ? findAlias(ref) : undefined;
  if (!alias) {
    const known = MODEL_ALIASES.map((entry) => entry.alias).join(", ");
    throw new RbeeError(
      "MODEL_NOT_FOUND",
      `Unknown model '${ref}': use one of the catalog aliases (${known}), hf:<org>/<repo>/<file>.gguf, https://…/file.gguf or file:/abs/path.gguf`,
    );
  }
  const extra = {
    ...(alias.size_bytes !== undefined ? { sizeBytes: alias.size_bytes } : {}),
    ...(alias.sha256 !== undefined ? { sha256: alias.sha256 } : {}),
  };
  return { ...parseHf(alias.model_ref, extra), ref };
}
