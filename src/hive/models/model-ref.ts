import { createHash } from "node:crypto";
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { RbeeError } from "../../shared/contract/index.js";
import { isLoopbackHost } from "../../shared/net.js";
import { MODEL_ALIASES, findAlias } from "../../shared/contract/model-catalog.js";

/** The default hub base URL; `RBEE_HF_ENDPOINT` replaces it (tests point it at a loopback server). */
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

/** A model file that is already on the node. */
export interface LocalModelSource {
  readonly kind: "local";
  /** The reference as the caller wrote it. */
  readonly ref: string;
  readonly path: string;
}

/** A model file to download. */
export interface RemoteModelSource {
  readonly kind: "remote";
  readonly ref: string;
  /** The reference after alias resolution: what the local catalog is keyed by. */
  readonly canonical: string;
  readonly url: string;
  /** Sent with the first request only (never to another origin after a redirect). */
  readonly headers: Readonly<Record<string, string>>;
  /** Where the file goes, relative to `RBEE_HOME/models`. */
  readonly storePath: string;
  readonly sizeBytes?: number;
  readonly sha256?: string;
}

export type ModelSource = LocalModelSource | RemoteModelSource;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ALIAS = /^[a-z0-9][a-z0-9._-]*$/;

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

/** The hub base URL from `RBEE_HF_ENDPOINT`, checked like any download URL. */
export function hfEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.RBEE_HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT;
  const url = checkDownloadUrl(configured, "RBEE_HF_ENDPOINT");
  return url.href.replace(/\/+$/, "");
}

function parseHf(ref: string, env: NodeJS.ProcessEnv, extra: { sizeBytes?: number; sha256?: string }): RemoteModelSource {
  const segments = ref.slice("hf:".length).split("/");
  if (segments.length < 3) throw invalid(ref, "use hf:<org>/<repo>/<file>.gguf");
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === "." || segment === "..") {
      throw invalid(ref, `'${segment}' is not a valid path segment (letters, digits, '.', '_', '-')`);
    }
  }
  const [org, repo, ...file] = segments as [string, string, ...string[]];
  if (!isGguf(file[file.length - 1] ?? "")) throw invalid(ref, "the file must be a .gguf");
  const url = `${hfEndpoint(env)}/${org}/${repo}/resolve/main/${file.map(encodeURIComponent).join("/")}`;
  const token = env.HF_TOKEN?.trim();
  return {
    kind: "remote",
    ref,
    canonical: ref,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    storePath: ["hf", org, repo, ...file].join("/"),
    ...extra,
  };
}

function parseUrl(ref: string): RemoteModelSource {
  const url = checkDownloadUrl(ref, "model URL");
  const last = decodeURIComponent(url.pathname.split("/").pop() ?? "");
  if (!isGguf(last)) throw invalid(ref, "the URL must name a .gguf file");
  const name = SEGMENT.test(last) ? last : "model.gguf";
  const digest = createHash("sha256").update(url.href).digest("hex").slice(0, 16);
  const host = url.host.replace(/[^A-Za-z0-9.-]/g, "_");
  return { kind: "remote", ref, canonical: url.href, url: url.href, headers: {}, storePath: ["url", host, digest, name].join("/") };
}

function parseFile(ref: string): LocalModelSource {
  if (!ref.startsWith("file:/")) throw invalid(ref, "use file:/absolute/path.gguf");
  let path: string;
  try {
    path = fileURLToPath(new URL(ref));
  } catch {
    throw invalid(ref, "use file:/absolute/path.gguf on this node");
  }
  if (!isAbsolute(path)) throw invalid(ref, "the path must be absolute");
  if (!isGguf(path)) throw invalid(ref, "the file must be a .gguf");
  return { kind: "local", ref, path };
}

/**
 * Parses a model_ref (SPEC §4 Models): `hf:<org>/<repo>/<file>.gguf`, `https://…/x.gguf`,
 * `file:/abs/path.gguf` or an alias of the built-in catalog. Throws INVALID_REQUEST for a malformed
 * reference and MODEL_NOT_FOUND for an unknown alias.
 */
export function parseModelRef(ref: string, env: NodeJS.ProcessEnv = process.env): ModelSource {
  if (ref.startsWith("hf:")) return parseHf(ref, env, {});
  if (ref.startsWith("file:")) return parseFile(ref);
  if (/^https?:/i.test(ref)) return parseUrl(ref);
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) throw invalid(ref, "use hf:, https:, file: or a catalog alias");
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
  return { ...parseHf(alias.model_ref, env, extra), ref };
}
