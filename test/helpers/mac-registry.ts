// A real node registry (SQLite in a fresh directory per test) holding one ready node, "mac", and
// the hive's view of a worker on it: the fixture of the spawn and worker-token tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { BeehiveRegistry } from "../../src/core/registry/beehive-registry.js";
import type { HiveWorker } from "../../src/shared/contract/index.js";

/** Registers before/after hooks; the returned function gives the current test's registry. */
export function useMacRegistry(prefix: string): () => BeehiveRegistry {
  let dir: string;
  let beehives: BeehiveRegistry;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    beehives = new BeehiveRegistry(join(dir, "beehives.db"));
    beehives.add(
      { node_name: "mac", ssh_host: "h.invalid", ssh_port: 22, ssh_user: "u", git_repo_url: "file:///r.git", git_branch: "main", install_path: "/x" },
      "ready",
    );
  });
  afterEach(() => {
    beehives.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => beehives;
}

/** A worker as the hive lists it: idle, with its API token. */
export function hiveWorker(id: string, { url = "http://127.0.0.1:9301", slots = 2 }: { url?: string; slots?: number } = {}): HiveWorker {
  return { id, pid: 42, url, model_ref: "tiny", backend: "cpu", device: 0, state: "idle", slots_total: slots, slots_available: slots, token: "worker-api-token" };
}
