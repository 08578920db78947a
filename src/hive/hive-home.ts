import { mkdirSync } from "node:fs";
import { loadOrCreateSecretFile } from "../node-common/secrets.js";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The files a hive keeps under the node's `RBEE_HOME` (SPEC §2). */
export interface HivePaths {
  readonly home: string;
  readonly models: string;
  readonly logs: string;
  readonly token: string;
  /** The pids of the workers this hive runs, so that a hive killed with -9 can be cleaned up after. */
  readonly workersState: string;
  /** `{pid, port, url, version}` of the running hive, so that the queen finds it over SSH. */
  readonly state: string;
}

/** The node's `RBEE_HOME`, default `~/.rbee`. */
export function hiveHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.RBEE_HOME?.trim();
  if (!configured) return join(homedir(), ".rbee");
  if (configured === "~") return homedir();
  if (configured.startsWith("~/")) return join(homedir(), configured.slice(2));
  return resolve(configured);
}

/** Resolves and creates the hive's layout (0700: it holds the hive token). */
export function hivePaths(home: string): HivePaths {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const models = join(home, "models");
  const logs = join(home, "logs");
  mkdirSync(models, { recursive: true });
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  return { home, models, logs, token: join(home, "hive-token"), workersState: join(home, "hive-workers.json"), state: join(home, "hive.json") };
}

export { newSecret } from "../node-common/secrets.js";

/** The hive token: `RBEE_HIVE_TOKEN` when set, else `RBEE_HOME/hive-token`, created (0600) on first start. */
export function loadHiveToken(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.RBEE_HIVE_TOKEN?.trim() || loadOrCreateSecretFile(path);
}
