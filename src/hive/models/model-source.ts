import { createHash } from "node:crypto";
import { checkDownloadUrl, isSafeSegment, parseModelRef, type HubModelRef, type UrlModelRef } from "../../shared/contract/model-ref.js";

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

/** The hub base URL from `RBEE_HF_ENDPOINT`, checked like any download URL. */
export function hfEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.RBEE_HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT;
  const url = checkDownloadUrl(configured, "RBEE_HF_ENDPOINT");
  return url.href.replace(/\/+$/, "");
}

function fromHub(parsed: HubModelRef, env: NodeJS.ProcessEnv): RemoteModelSource {
  const { org, repo, file } = parsed;
  const url = `${hfEndpoint(env)}/${org}/${repo}/resolve/main/${file.map(encodeURIComponent).join("/")}`;
  const token = env.HF_TOKEN?.trim();
  return {
    kind: "remote",
    ref: parsed.ref,
    canonical: parsed.canonical,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    storePath: ["hf", org, repo, ...file].join("/"),
    ...(parsed.sizeBytes !== undefined ? { sizeBytes: parsed.sizeBytes } : {}),
    ...(parsed.sha256 !== undefined ? { sha256: parsed.sha256 } : {}),
  };
}

function fromUrl(parsed: UrlModelRef): RemoteModelSource {
  const { url } = parsed;
  const name = isSafeSegment(parsed.fileName) ? parsed.fileName : "model.gguf";
  const digest = createHash("sha256").update(url.href).digest("hex").slice(0, 16);
  const host = url.host.replace(/[^A-Za-z0-9.-]/g, "_");
  return { kind: "remote", ref: parsed.ref, canonical: url.href, url: url.href, headers: {}, storePath: ["url", host, digest, name].join("/") };
}

/**
 * Where the model a model_ref names comes from on this node: a file to open, or a download (the
 * hub's resolve URL with HF_TOKEN, or the URL itself) and where it is stored. The grammar is the
 * contract's `parseModelRef`: INVALID_REQUEST for a malformed reference, MODEL_NOT_FOUND for an
 * unknown alias.
 */
export function modelSource(ref: string, env: NodeJS.ProcessEnv = process.env): ModelSource {
  const parsed = parseModelRef(ref);
  switch (parsed.kind) {
    case "hf":
      return fromHub(parsed, env);
    case "url":
      return fromUrl(parsed);
    case "file":
      return { kind: "local", ref, path: parsed.path };
  }
}
