import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { GitRepoUrl, type NodeDefaultsResponse } from "../../shared/contract/index.js";

/** How long `git remote get-url` may take before the form goes without a default. */
const GIT_TIMEOUT_MS = 3_000;

function gitOrigin(root: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("git", ["-C", root, "remote", "get-url", "origin"], { timeout: GIT_TIMEOUT_MS }, (error, stdout) => {
      resolve(error ? undefined : stdout.trim() || undefined);
    });
  });
}

async function packageRepository(root: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { repository?: string | { url?: string } };
    const repository = typeof manifest.repository === "string" ? manifest.repository : manifest.repository?.url;
    return repository?.replace(/^git\+/, "") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where new nodes install rbee from by default: this installation's own git origin, else the
 * repository package.json publishes, else nothing (the user names one; a `file://` checkout works
 * for nodes that can read this machine's disk). Only a URL a node install accepts is offered.
 */
export async function nodeDefaults(installRoot: string): Promise<NodeDefaultsResponse> {
  for (const [source, find] of [
    ["origin", gitOrigin],
    ["package", packageRepository],
  ] as const) {
    const url = await find(installRoot);
    if (url !== undefined && GitRepoUrl.safeParse(url).success) return { git_repo_url: url, git_branch: "main", install_path: "~/rbee", source };
  }
  return { git_repo_url: null, git_branch: "main", install_path: "~/rbee", source: "none" };
}
